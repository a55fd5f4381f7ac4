import { type Server, type Socket, connect, createServer } from 'node:net';
import { onTestFinished } from 'vitest';

/** A TCP relay the test controls, in front of a real server (PostgreSQL). */
export interface TcpRelay {
  readonly host: string;
  readonly port: number;
  /** Connections piped so far (each accepted while open). */
  readonly accepted: number;
  /** Resets every piped connection and every new one: the server is gone (ECONNRESET at once). */
  cut(): void;
  /** Keeps every connection open but passes no byte either way, new ones included: a network that drops packets. */
  stall(): void;
  /** Ends the stalled connections (as a long partition would) and pipes new connections again. */
  restore(): void;
}

/**
 * Listens on a free loopback port and pipes each connection to `target`; closed after the test.
 * `cut`, `stall` and `restore` play an engine lost and found again without touching it.
 */
export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  let mode: 'open' | 'cut' | 'stall' = 'open';
  let accepted = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === 'cut') return void client.resetAndDestroy();
    if (mode === 'stall') return void client.pause();
    accepted++;
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    host: '127.0.0.1',
    port,
    get accepted() {
      return accepted;
    },
    cut() {
      mode = 'cut';
      for (const socket of sockets) socket.resetAndDestroy();
    },
    stall() {
      mode = 'stall';
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore() {
      if (mode === 'stall') for (const socket of sockets) socket.destroy();
      mode = 'open';
    },
  };
}
