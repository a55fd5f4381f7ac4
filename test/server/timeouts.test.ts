/**
 * Security finding 4 (medium): a stalled request body held a connection forever (fastify's
 * requestTimeout and connectionTimeout were 0). `server.timeouts.{read,write,idle}` (Authelia's
 * keys and defaults) and `server.max_connections` now bound every listener. These tests wait for
 * the server to close a connection (an event), never for a fixed time.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startAuthzGateway } from '../authz/fixtures.js';
import { testConfig, startTestGateway } from '../helpers/gateway.js';
import { startUpstream } from '../proxy/upstream.js';

const domain = 'example.localhost';

interface Exchange {
  /** Everything the server sent. */
  readonly text: string;
  /** Whether the server closed the connection (as opposed to the test's own guard timer). */
  readonly closedByServer: boolean;
}

/**
 * Opens a connection, writes `bytes` (and the `later` chunks one by one, `every` ms apart, as a
 * slow client would), and resolves when the server closes it; a guard of `guardMs` ends a test
 * whose server never closes (then `closedByServer` is false).
 */
function exchange(port: number, bytes: string, options: { later?: string[]; every?: number; guardMs?: number } = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let text = '';
    let guard: NodeJS.Timeout | undefined;
    let drip: NodeJS.Timeout | undefined;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      const later = [...(options.later ?? [])];
      if (later.length > 0) drip = setInterval(() => (later.length > 0 ? socket.write(later.shift()!) : clearInterval(drip)), options.every ?? 200);
    });
    const finish = (closedByServer: boolean) => {
      clearTimeout(guard);
      clearInterval(drip);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    guard = setTimeout(() => finish(false), options.guardMs ?? 15_000);
    socket.setEncoding('utf8').on('data', (c: string) => (text += c));
    socket.on('close', () => finish(true)).on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish(true) : reject(error)));
  });
}

const timeouts = { read: '1s', write: '2s', idle: '3s' };

describe('server.timeouts and server.max_connections (finding 4)', () => {
  it('applies the configured values (Authelia defaults 6s/6s/30s) to the listener', async () => {
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', timeouts, max_connections: 77 } }));
    const server = gateway.app.server;
    expect([server.headersTimeout, server.requestTimeout, server.timeout, server.keepAliveTimeout, server.maxConnections]).toEqual([1000, 0, 2000, 3000, 77]);
    const defaults = await startTestGateway(testConfig());
    const d = defaults.app.server;
    expect([d.headersTimeout, d.timeout, d.keepAliveTimeout, d.maxConnections]).toEqual([6000, 6000, 30000, 4096]);
  });

  it('ends a request to Gatehouse whose body stalls (POST /api/firstfactor, Content-Length 100, 6 bytes sent) with 408', async () => {
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', timeouts } }));
    const port = Number(new URL(gateway.url).port);
    const got = await exchange(
      port,
      'POST /api/firstfactor HTTP/1.1\r\nHost: auth.example.com\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"use',
    );
    expect(got.closedByServer).toBe(true);
    expect(got.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('ends a request to Gatehouse whose body drips slower than read allows, even though bytes keep coming', async () => {
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', timeouts } }));
    const port = Number(new URL(gateway.url).port);
    const drip = Array.from({ length: 40 }, () => ' ');
    const got = await exchange(
      port,
      'POST /api/firstfactor HTTP/1.1\r\nHost: auth.example.com\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      { later: drip, every: 150 },
    );
    expect(got.closedByServer).toBe(true);
    expect(got.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('ends a connection whose request headers never finish (slowloris)', async () => {
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', timeouts } }));
    const port = Number(new URL(gateway.url).port);
    const got = await exchange(port, 'GET /api/health HTTP/1.1\r\nHost: auth.example.com\r\n', {
      later: ['X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n'],
      every: 300,
    });
    expect(got.closedByServer).toBe(true);
    expect(got.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a keep-alive connection that stays idle, after answering on it', async () => {
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', timeouts } }));
    const port = Number(new URL(gateway.url).port);
    const got = await exchange(port, 'GET /api/health HTTP/1.1\r\nHost: auth.example.com\r\n\r\n');
    expect(got.closedByServer).toBe(true);
    expect(got.text).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses connections beyond server.max_connections and takes new ones once others close', async () => {
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', max_connections: 2 } }));
    const port = Number(new URL(gateway.url).port);
    const open = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    // Both are accepted: each answers a request (and stays open, keep-alive).
    for (const s of open) {
      const answered = new Promise<string>((resolve) => s.once('data', (d) => resolve(String(d))));
      s.write('GET /api/health HTTP/1.1\r\nHost: auth.example.com\r\n\r\n');
      expect(await answered).toMatch(/^HTTP\/1\.1 200 /);
    }
    const third = await exchange(port, 'GET /api/health HTTP/1.1\r\nHost: auth.example.com\r\n\r\n');
    expect(third).toEqual({ text: '', closedByServer: true });
    for (const s of open) s.destroy();
    await new Promise((resolve) => open[1]!.once('close', resolve));
    // Once the count is back under the cap, connections are served again.
    let again: Exchange = { text: '', closedByServer: true };
    for (let i = 0; i < 50 && !again.text.startsWith('HTTP/1.1 200'); i++) {
      again = await exchange(port, 'GET /api/health HTTP/1.1\r\nHost: auth.example.com\r\nConnection: close\r\n\r\n');
    }
    expect(again.text).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('timeouts in proxy mode: the upstream owns the exchange once the headers are in', () => {
  async function proxyWorld(upstreamTimeout: string) {
    const upstream = await startUpstream();
    const world = await startAuthzGateway(
      {
        server: { address: 'tcp://127.0.0.1:0', timeouts },
        proxy: { upstreams: [{ domain: `public.${domain}`, target: upstream.url, timeout: upstreamTimeout }] },
      },
      domain,
      `http://auth.${domain}:9091`,
    );
    return { upstream, port: Number(new URL(world.gateway.url).port) };
  }

  it('lets a proxied upload that keeps flowing run longer than read and write', async () => {
    const { upstream, port } = await proxyWorld('5s');
    const chunks = Array.from({ length: 12 }, (_, i) => `chunk-${String(i).padStart(2, '0')}\n`);
    const length = chunks.join('').length;
    // 12 chunks 250 ms apart: three seconds of upload, past read (1 s) and write (2 s).
    const got = await exchange(port, `POST /upload HTTP/1.1\r\nHost: public.${domain}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`, {
      later: chunks,
      every: 250,
    });
    expect(got.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(upstream.seen.map((s) => [s.url, s.body])).toEqual([['/upload', chunks.join('')]]);
  });

  it('ends a proxied request whose body stalls once the upstream timeout passes (504), and tears the upstream request down', async () => {
    const { upstream, port } = await proxyWorld('1s');
    const got = await exchange(port, `POST /upload HTTP/1.1\r\nHost: public.${domain}\r\nContent-Length: 100\r\n\r\nsix by`);
    expect(got.closedByServer).toBe(true);
    expect(got.text).toMatch(/^HTTP\/1\.1 504 /);
    expect(upstream.seen).toEqual([]);
  });
});
