import { execFileSync } from 'node:child_process';
import { type RequestOptions, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../../src/shared/errors.js';
import { tempDir } from '../helpers/config.js';
import { startTestGateway, testConfig } from '../helpers/gateway.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(options: RequestOptions & { rejectUnauthorized?: boolean }, tls = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

describe('gateway', () => {
  it('answers /api/health on a TCP port', async () => {
    const gateway = await startTestGateway(testConfig());
    const reply = await fetch(`${gateway.url}/api/health`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(await reply.json()).toEqual({ status: 'OK' });
  });

  it('answers unknown routes with a JSON 404, and unexpected errors with a generic 500', async () => {
    const gateway = await startTestGateway(testConfig(), {
      beforeListen: (app) => {
        app.get('/boom', async () => {
          throw new Error('database password is hunter2');
        });
      },
    });
    const missing = await fetch(`${gateway.url}/nope?x=1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ status: 'KO', message: 'Not found: GET /nope' });
    const boom = await fetch(`${gateway.url}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).toBe('{"status":"KO","message":"Internal error"}');
  });

  it('listens on a unix socket', async () => {
    const socketPath = join(tempDir(), 'gatehouse.sock');
    const gateway = await startTestGateway(testConfig({ server: { address: `unix://${socketPath}` } }));
    expect(gateway.url).toBe(`unix:${socketPath}`);
    const reply = await get({ socketPath, path: '/api/health' });
    expect([reply.status, reply.body]).toEqual([200, '{"status":"OK"}']);
  });

  it('serves TLS with server.tls', async () => {
    const dir = tempDir();
    const key = join(dir, 'key.pem');
    const certificate = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        key,
        '-out',
        certificate,
      ],
      { stdio: 'ignore' },
    );
    const gateway = await startTestGateway(testConfig({ server: { address: 'tcp://127.0.0.1:0', tls: { key, certificate } } }, dir));
    expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { port } = new URL(gateway.url);
    const reply = await get({ host: '127.0.0.1', port, path: '/api/health', rejectUnauthorized: false }, true);
    expect(reply.status).toBe(200);
  });

  it('names the address when the port is in use, and closes storage', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const config = testConfig({ server: { address: `tcp://127.0.0.1:${port}` } });
      const attempt = startTestGateway(config);
      await expect(attempt).rejects.toThrow(StartupError);
      await expect(attempt).rejects.toThrow(
        `server.address: tcp://127.0.0.1:${port} is already in use by another process; stop it or choose another port (EADDRINUSE)`,
      );
      // Storage was closed: a second gateway can open the same database.
      const gateway = await startTestGateway({ ...config, server: { ...config.server, address: { kind: 'tcp', host: '127.0.0.1', port: 0 } } });
      expect((await fetch(`${gateway.url}/api/health`)).status).toBe(200);
    } finally {
      blocker.close();
    }
  });

  it('finishes requests in flight on shutdown, refuses new connections, then closes storage', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const gateway = await startTestGateway(testConfig(), {
      beforeListen: (app) => {
        app.get('/slow', async () => {
          started();
          await released;
          return { done: true };
        });
      },
    });
    const inFlight = fetch(`${gateway.url}/slow`);
    await running;
    let closed = false;
    const closing = gateway.close().then(() => (closed = true));
    await expect(fetch(`${gateway.url}/api/health`)).rejects.toThrow();
    expect(closed).toBe(false);
    release();
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ done: true });
    await closing;
    await expect(gateway.storage.sessions.get('x')).rejects.toThrow(/not open/);
  });

  it('keeps sessions across a restart', async () => {
    const config = testConfig();
    const first = await startTestGateway(config);
    const cookie = config.session.cookies[0]!;
    const session = first.sessions.create(cookie);
    session.state.username = 'john';
    await first.sessions.save(cookie, session);
    await first.close();
    const second = await startTestGateway(config);
    expect((await second.sessions.load(cookie, session.id))?.state.username).toBe('john');
  });
});
