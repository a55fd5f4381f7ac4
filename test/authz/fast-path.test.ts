import { connect } from 'node:net';
import { inject } from 'light-my-request';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Authorizer, Verdict } from '../../src/authz/evaluate.js';
import { AuthzEndpoints, authzEndpointOf } from '../../src/authz/http.js';
import { requestIds } from '../../src/shared/http/request-id.js';
import { readRequestView, type RequestView } from '../../src/shared/http/request-view.js';
import { StoreUnavailableError } from '../../src/shared/store-unavailable.js';
import { startTestGateway } from '../helpers/gateway.js';
import { injectListener } from '../helpers/gateway.js';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from './fixtures.js';

const asked = {
  accept: 'text/html',
  'x-forwarded-method': 'GET',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'app.example.com',
  'x-forwarded-uri': '/',
};

/** Raw HTTP/1.1 requests written on one keep-alive connection (the last one closes it); resolves with everything read. */
function exchange(port: number, requests: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(requests.join('')));
    socket.setEncoding('utf8').on('data', (c: string) => (text += c));
    socket.on('end', () => resolve(text)).on('error', reject);
  });
}

describe('the forward-auth fast path (issue 14, item 1)', () => {
  it('answers the forward-auth endpoints before fastify: no fastify hook runs for them, and every other path still reaches fastify', async () => {
    const seen: string[] = [];
    const w = await startAuthzGateway();
    // A second gateway on the same configuration, with a hook that records what fastify sees.
    const gateway = await startTestGateway(w.config, {
      beforeListen: (app) => {
        app.addHook('onRequest', async (request) => {
          seen.push(request.url);
        });
      },
    });
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john'));
    const paths = ['/api/authz/forward-auth', '/api/authz/auth-request', '/api/authz/ext-authz/x', '/api/verify'];
    for (const url of paths) {
      const reply = await injectListener(gateway, {
        url,
        remoteAddress: '127.0.0.1',
        headers: { ...asked, host: 'app.example.com', 'x-original-url': 'https://app.example.com/', 'x-original-method': 'GET', cookie },
      });
      expect([url, reply.statusCode, reply.headers['remote-user']]).toEqual([url, 200, 'john']);
    }
    expect(seen).toEqual([]);
    // Not one of them: fastify answers (a percent-encoded spelling, another method, an unknown path).
    const others = ['/api/health', '/api/authz/forward%2Dauth', '/api/authz/unknown', '/api/verify/x'];
    for (const url of others) await injectListener(gateway, { url, remoteAddress: '127.0.0.1', headers: { host: 'auth.example.com' } });
    const post = await injectListener(gateway, { method: 'POST', url: '/api/authz/forward-auth', remoteAddress: '127.0.0.1', headers: asked });
    expect([post.statusCode, post.json()]).toEqual([404, { status: 'KO', message: 'Not found: POST /api/authz/forward-auth' }]);
    expect(seen).toEqual([...others, '/api/authz/forward-auth']);
  });

  it('ignores a request body: a POST with a malformed JSON body to ext-authz is decided, and the next request on the connection is answered', async () => {
    const w = await startAuthzGateway();
    const port = Number(new URL(w.gateway.url).port);
    const body = '{"not json';
    const text = await exchange(port, [
      `POST /api/authz/ext-authz/form HTTP/1.1\r\nHost: public.example.com\r\nX-Forwarded-Proto: https\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      'GET /api/authz/ext-authz/ HTTP/1.1\r\nHost: deny.example.com\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
    ]);
    expect(text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 403']);
  });

  it('numbers its requests with the same counter as fastify, so a reqId names one request', async () => {
    const w = await startAuthzGateway();
    for (let i = 0; i < 3; i++) {
      await injectListener(w.gateway, { url: '/api/authz/forward-auth', remoteAddress: '127.0.0.1', headers: asked });
      await injectListener(w.gateway, { url: '/api/health', remoteAddress: '127.0.0.1', headers: { host: 'auth.example.com' } });
    }
    const lines = w
      .logs()
      .split('\n')
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as { reqId: string; path: string });
    const ids = lines.map((line) => line.reqId);
    expect(lines.map((line) => line.path)).toEqual(Array.from({ length: 3 }, () => ['/api/authz/forward-auth', '/api/health']).flat());
    expect(new Set(ids).size).toBe(6);
  });
});

/** The endpoints over an Authorizer whose answers the test gives, one request at a time. */
function endpointsWith(evaluate: () => Promise<Verdict>) {
  const authorizer = { check: evaluate } as unknown as Authorizer;
  let text = '';
  const logger = pino({ level: 'info' }, { write: (line: string) => (text += line) });
  const endpoints = new AuthzEndpoints({ authorizer, logger, requestId: requestIds() });
  const trust = () => true;
  const ask = (headers: Record<string, string> = asked) =>
    inject(
      (req, res) => {
        const view = readRequestView(req, trust) as RequestView;
        endpoints.handle(req, res, view, authzEndpointOf(req.method, req.url)!);
      },
      { url: '/api/authz/forward-auth', headers, remoteAddress: '127.0.0.1' },
    );
  return { endpoints, ask, logs: () => text };
}

describe('the fast path: shutdown and failures', () => {
  it('closes the connection of an answer given while draining, and answers a request arriving after the drain began with 503', async () => {
    let decide!: (verdict: Verdict) => void;
    const { endpoints, ask } = endpointsWith(() => new Promise((resolve) => (decide = resolve)));
    const inFlight = ask();
    await new Promise((resolve) => setImmediate(resolve));
    endpoints.drain();
    decide({ kind: 'forbidden', reason: 'test', username: '' });
    const answered = await inFlight;
    expect([answered.statusCode, answered.headers.connection, answered.body]).toEqual([403, 'close', '403 Forbidden']);
    const late = await ask();
    expect([late.statusCode, late.headers.connection, late.json()]).toEqual([
      503,
      'close',
      { error: 'Service Unavailable', message: 'Service Unavailable', statusCode: 503 },
    ]);
  });

  it('answers a lost store with 503 KO, never cached, and anything else with 500 KO, the detail only in the log', async () => {
    let failure: unknown = new StoreUnavailableError('GH_SESSION_STORE_UNAVAILABLE', 'The session store is unavailable.', {
      store: 'session.redis',
      reason: 'connection refused',
      cause: undefined,
    });
    const { ask, logs } = endpointsWith(() => Promise.reject(failure));
    const lost = await ask();
    expect([lost.statusCode, lost.headers['cache-control'], lost.json()]).toEqual([
      503,
      'no-store',
      { status: 'KO', message: 'The session store is unavailable.' },
    ]);
    failure = new Error('secret detail');
    const broken = await ask();
    expect([broken.statusCode, broken.headers['cache-control'], broken.json()]).toEqual([500, undefined, { status: 'KO', message: 'Internal error' }]);
    expect(logs()).toContain('secret detail');
    expect(logs()).toContain('request refused: a store is unavailable');
  });
});
