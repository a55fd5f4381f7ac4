import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly seen: Seen[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests whose response was torn down before it was sent. */
  readonly aborted: string[];
  readonly server: Server;
}

/**
 * A small upstream that records every request it receives. `/slow` never answers (until the
 * connection closes); `/hop` answers with hop-by-hop headers; other paths echo 200 + JSON.
 * Upgrade requests are answered 101 and then echo raw bytes.
 */
export async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const aborted: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (req.url === '/slow') {
        res.on('close', () => aborted.push(req.url ?? ''));
      } else if (req.url === '/hop') {
        res.writeHead(200, { connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5', 'proxy-authenticate': 'Basic', 'x-kept': 'yes' });
        res.end('hop');
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url }));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: '' });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
  });
  const upstream = { seen, aborted, connections: 0, server } as Upstream & { connections: number };
  server.on('connection', () => upstream.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return Object.assign(upstream, { url: `http://127.0.0.1:${port}`, port });
}

/** Sends raw bytes to `port` and resolves with everything read until the server closes (or `ms`). */
export function rawExchange(port: number, bytes: string, ms = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, ms);
    socket.setEncoding('utf8').on('data', (c: string) => (text += c));
    socket.on('end', done).on('close', done).on('error', reject);
  });
}

/** Resolves once `check` is true, polling on I/O turns (no fixed sleeps). */
export async function until(check: () => boolean, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
