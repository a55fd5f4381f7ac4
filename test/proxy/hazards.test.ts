import { describe, expect, it } from 'vitest';
import { cookieHeader, loginFirstFactor } from '../authz/fixtures.js';
import { rawExchange, until } from './upstream.js';
import { domain, send, startProxyWorld } from './world.js';

/** http-proxy hazards (perf-security.md), each neutralised in src/proxy and pinned here. */
describe('reverse proxy: http-proxy hazards', () => {
  it('passes a chunked DELETE/OPTIONS body as one request: no CL.TE smuggling (#1720/#1721, CVE-2026-29057)', async () => {
    const w = await startProxyWorld();
    for (const method of ['DELETE', 'OPTIONS']) {
      const smuggled = 'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n';
      const chunk = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
      const reply = await rawExchange(
        w.port,
        `${method} /item HTTP/1.1\r\nHost: public.${domain}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}`,
      );
      expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    }
    await until(() => w.upstream.seen.length >= 2, 'two requests upstream');
    expect(w.upstream.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['DELETE', '/item', 'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['OPTIONS', '/item', 'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ]);
  });

  it('keeps framing headers even when the client names them in Connection', async () => {
    const w = await startProxyWorld();
    const body = 'a=1&b=2';
    const reply = await rawExchange(
      w.port,
      `POST /form HTTP/1.1\r\nHost: public.${domain}\r\nConnection: keep-alive, Content-Length, Host\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    await until(() => w.upstream.seen.length >= 1, 'the request upstream');
    expect(w.upstream.seen.map((s) => [s.method, s.url, s.body, s.headers.host])).toEqual([['POST', '/form', body, `public.${domain}`]]);
  });

  it('strips hop-by-hop fields both ways, and those the client or upstream lists in Connection', async () => {
    const w = await startProxyWorld();
    const reply = await send(w, `public.${domain}`, '/hop', {
      headers: {
        connection: 'keep-alive, x-secret, remote-user',
        'keep-alive': 'timeout=99',
        te: 'trailers',
        'x-secret': '1',
        'proxy-authorization': 'Basic eDp5',
        'proxy-connection': 'keep-alive',
      },
    });
    const seen = w.upstream.seen[0]!.headers;
    for (const name of ['keep-alive', 'te', 'x-secret', 'proxy-authorization', 'proxy-connection']) expect([name, seen[name]]).toEqual([name, undefined]);
    expect(seen.connection).toBe('keep-alive'); // the agent's own, not the client's list
    expect(reply.headers).toMatchObject({ 'x-kept': 'yes', connection: 'keep-alive' });
    for (const name of ['x-hop', 'keep-alive', 'proxy-authenticate']) expect([name, reply.headers[name]]).toEqual([name, undefined]);
  });

  it("sets X-Forwarded-For to the client instead of appending to the client's value", async () => {
    const w = await startProxyWorld();
    await send(w, `public.${domain}`, '/', { headers: { 'x-forwarded-for': '10.0.0.1, 192.0.2.1' } });
    expect(w.upstream.seen[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('tears the upstream request down when the client goes away', async () => {
    const w = await startProxyWorld({ upstream: { timeout: '1m' } });
    await rawExchange(w.port, `GET /slow HTTP/1.1\r\nHost: public.${domain}\r\n\r\n`, 300);
    await until(() => w.upstream.aborted.includes('/slow'), 'the upstream request to close');
  });

  it('refuses absolute-form targets, dot-segment paths, CRLF and oversized headers; none reaches the upstream', async () => {
    const w = await startProxyWorld();
    const host = `Host: public.${domain}\r\n`;
    const cases: [string, RegExp][] = [
      [`GET http://public.${domain}/x HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
      [`GET /a/../admin HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
      [`GET /a/%2e%2E/admin HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
      [`GET /a%2fb HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, /^HTTP\/1\.1 403 /],
      [`GET / HTTP/1.1\r\n${host}X-Evil: a\rRemote-User: admin\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
      [`GET / HTTP/1.1\r\n${host}X-Fold: a\r\n Remote-User: admin\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
      [`GET / HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 431 /],
      [`GET / HTTP/1.1\r\n${host}${host}Connection: close\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ];
    for (const [bytes, expected] of cases)
      expect([bytes.slice(0, 60), await rawExchange(w.port, bytes)]).toEqual([bytes.slice(0, 60), expect.stringMatching(expected)]);
    expect(w.upstream.seen).toEqual([]);
  });

  it('authorises WebSocket upgrades: anonymous refused, logged-in passed through with identity', async () => {
    const w = await startProxyWorld();
    const handshake = (cookie = '') =>
      `GET /ws HTTP/1.1\r\nHost: app.${domain}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nRemote-User: admin\r\n${cookie}\r\nping`;
    expect(await rawExchange(w.port, handshake())).toMatch(/^HTTP\/1\.1 401 /);
    expect(w.upstream.seen).toEqual([]);
    const id = await loginFirstFactor(w, 'bob', domain);
    const open = await rawExchange(w.port, handshake(`Cookie: ${cookieHeader(w, id)}\r\n`), 500);
    expect(open).toMatch(/^HTTP\/1\.1 101 /);
    expect(open.endsWith('ping')).toBe(true);
    expect(w.upstream.seen[0]!.headers).toMatchObject({ 'remote-user': 'bob', upgrade: 'websocket' });
    expect((await rawExchange(w.port, handshake().replace('app.', 'deny.'))).startsWith('HTTP/1.1 403 ')).toBe(true);
  });
});
