import { describe, expect, it } from 'vitest';
import { cookieHeader, loginFirstFactor } from '../authz/fixtures.js';
import { until } from './upstream.js';
import { domain, portal, send, startProxyWorld } from './world.js';

describe('built-in reverse proxy: authorisation', () => {
  it('sends an anonymous browser to the portal, and nothing reaches the upstream', async () => {
    const w = await startProxyWorld();
    const reply = await send(w, `app.${domain}`, '/path?q=1');
    const target = `http://app.${domain}:${w.port}/path?q=1`;
    expect([reply.status, reply.headers.location]).toEqual([302, `${portal}/?rd=${encodeURIComponent(target)}&rm=GET`]);
    expect((await send(w, `app.${domain}`, '/form', { method: 'POST', body: 'x=1' })).status).toBe(303);
    expect((await send(w, `app.${domain}`, '/api', { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await send(w, `deny.${domain}`, '/')).status).toBe(403);
    expect(w.upstream.seen).toEqual([]);
  });

  it('streams a logged-in request with Remote-* set from the session and forged identity or forwarding headers replaced', async () => {
    const w = await startProxyWorld();
    const id = await loginFirstFactor(w, 'john', domain);
    const reply = await send(w, `app.${domain}`, '/hello', {
      headers: {
        cookie: `theme=dark; ${cookieHeader(w, id)}; lang=en`,
        'remote-user': 'admin',
        remote_user: 'admin',
        'Remote-Groups': 'admins',
        'x-forwarded-for': '192.0.2.1',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        'x-forwarded-prefix': '/admin',
        'x-real-ip': '192.0.2.1',
        forwarded: 'for=192.0.2.1',
      },
    });
    expect([reply.status, reply.body]).toEqual([200, '{"url":"/hello"}']);
    const seen = w.upstream.seen[0]!;
    expect(seen.headers).toMatchObject({
      'remote-user': 'john',
      'remote-groups': 'admins,dev',
      'remote-name': 'John Doe',
      'remote-email': 'john@example.com',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `app.${domain}:${w.port}`,
      host: `app.${domain}:${w.port}`,
      cookie: 'theme=dark; lang=en',
    });
    expect(seen.headers['x-forwarded-prefix']).toBeUndefined();
    expect(seen.headers.forwarded).toBeUndefined();
    expect(seen.rawHeaders.filter((h) => /^remote[-_]user$/i.test(h))).toEqual(['remote-user']);
  });

  it('never lets a forged Remote-User through to an anonymous bypass site', async () => {
    const w = await startProxyWorld();
    const reply = await send(w, `public.${domain}`, '/', { headers: { 'Remote-User': 'admin', REMOTE_USER: 'admin', connection: 'Remote-Email' } });
    expect(reply.status).toBe(200);
    expect(Object.keys(w.upstream.seen[0]!.headers).filter((h) => h.replace(/_/g, '-').startsWith('remote-'))).toEqual([]);
  });

  it('believes X-Forwarded-For/Proto only from a trusted proxy, and routes by Host alone', async () => {
    const w = await startProxyWorld({ trusted: ['127.0.0.1'] });
    const reply = await send(w, `public.${domain}`, '/', { headers: { 'x-forwarded-for': '192.0.2.9', 'x-forwarded-proto': 'https' } });
    expect(reply.status).toBe(200);
    expect(w.upstream.seen[0]!.headers).toMatchObject({ 'x-forwarded-for': '192.0.2.9', 'x-forwarded-proto': 'https' });
    // A forward-auth question from a trusted proxy names the site in X-Forwarded-Host: answered, not proxied.
    const question = await send(w, 'gatehouse.internal', '/api/authz/forward-auth', {
      headers: { 'x-forwarded-host': `public.${domain}`, 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-uri': '/' },
    });
    expect([question.status, question.body]).toEqual([200, '']);
    expect(w.upstream.seen).toHaveLength(1);
    const untrusted = await startProxyWorld();
    const spoofed = await send(untrusted, `public.${domain}`, '/', { headers: { 'x-forwarded-for': '192.0.2.9', 'x-forwarded-proto': 'https' } });
    expect(spoofed.status).toBe(200);
    expect(untrusted.upstream.seen[0]!.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' });
  });

  it('serves the portal and API on the portal host from the same listener', async () => {
    const w = await startProxyWorld();
    const health = await send(w, `auth.${domain}`, '/api/health');
    expect([health.status, health.body]).toEqual([200, '{"status":"OK"}']);
    const login = await send(w, `auth.${domain}`, '/');
    expect([login.status, login.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(w.upstream.seen).toEqual([]);
  });

  it('reuses upstream connections (keep-alive agent)', async () => {
    const w = await startProxyWorld();
    for (let i = 0; i < 20; i++) expect((await send(w, `public.${domain}`, `/n${i}`)).status).toBe(200);
    expect(w.upstream.seen).toHaveLength(20);
    expect(w.upstream.connections).toBeLessThanOrEqual(2);
  });

  it('answers 502 when the upstream is down and 504 when it is silent past its timeout', async () => {
    const w = await startProxyWorld();
    const slow = await send(w, `public.${domain}`, '/slow');
    expect([slow.status, slow.body]).toEqual([504, expect.stringContaining('504 Gateway Timeout')]);
    await until(() => w.upstream.aborted.includes('/slow'), 'the upstream request to be torn down');
    await new Promise<void>((resolve) => {
      w.upstream.server.closeAllConnections();
      w.upstream.server.close(() => resolve());
    });
    const down = await send(w, `public.${domain}`, '/');
    expect([down.status, down.body]).toEqual([502, expect.stringContaining('502 Bad Gateway')]);
    expect(w.logs()).toContain('proxy: upstream failed');
  });
});
