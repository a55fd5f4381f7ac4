import { type Server, createServer } from 'node:net';

/**
 * `count` distinct loopback ports where nothing listens: each asked of the system (bound to port
 * 0 on 127.0.0.1, all at once so that they differ), then released. A test starts a server there,
 * or uses the port as one that refuses connections.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** One loopback port where nothing listens (see {@link freePorts}). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
