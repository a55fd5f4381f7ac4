import { describe, expect, it } from 'vitest';
import { ask, basic } from './ask.js';
import { cookieHeader, loginFirstFactor, password, startAuthzGateway } from './fixtures.js';

describe('trusted proxies (server.trusted_proxies)', () => {
  it('does not believe forwarded headers from an untrusted peer', async () => {
    const w = await startAuthzGateway();
    for (const flavour of ['forward-auth', 'auth-request', 'ext-authz'] as const) {
      const reply = await ask(w, flavour, 'https://public.example.com/', { remoteAddress: '203.0.113.9' });
      expect([flavour, reply.status]).toEqual([flavour, 400]);
    }
    expect((await ask(w, 'legacy', 'https://public.example.com/', { remoteAddress: '203.0.113.9' })).status).toBe(401);
    expect(w.logs()).toContain('the peer 203.0.113.9 is not in server.trusted_proxies');
  });

  it('derives the client IP by walking X-Forwarded-For back over trusted hops, never the leftmost blindly', async () => {
    const w = await startAuthzGateway({ server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['127.0.0.1', '10.1.0.0/16'] } });
    const xff = (value: string) => ask(w, 'forward-auth', 'https://intranet.example.com/', { headers: { 'x-forwarded-for': value } });
    expect((await xff('192.0.2.7')).status).toBe(200);
    expect((await xff('192.0.2.7, 10.1.2.3')).status).toBe(200); // 10.1.2.3 is a trusted hop
    expect((await xff('192.0.2.7, 198.51.100.1')).status).toBe(403); // forged leftmost entry
    expect((await xff('192.0.2.7, 198.51.100.1, 10.1.2.3')).status).toBe(403);
    expect((await xff('garbage, 192.0.2.7')).status).toBe(200);
    expect((await xff('192.0.2.7, garbage')).status).toBe(403);
  });
});

describe('HTTP Basic strategy', () => {
  it('authenticates as one factor from Authorization, with identity headers', async () => {
    const w = await startAuthzGateway();
    for (const flavour of ['forward-auth', 'auth-request', 'ext-authz'] as const) {
      const reply = await ask(w, flavour, 'https://app.example.com/', { headers: { authorization: basic('john', password) } });
      expect([flavour, reply.status, reply.headers['remote-user'], reply.headers['remote-groups']]).toEqual([flavour, 200, 'john', 'admins,dev']);
    }
    const twoFactor = await ask(w, 'forward-auth', 'https://secure.example.com/', { headers: { authorization: basic('john', password) } });
    expect([twoFactor.status, twoFactor.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
  });

  it('answers wrong or malformed credentials with 401 + WWW-Authenticate, except on bypass', async () => {
    const w = await startAuthzGateway();
    for (const header of [basic('john', 'wrong'), basic('nobody', password), 'Basic !!!', 'Basic', basic('', password)]) {
      const reply = await ask(w, 'forward-auth', 'https://app.example.com/', { headers: { authorization: header } });
      expect([header, reply.status, reply.headers['www-authenticate'], reply.headers['remote-user']]).toEqual([
        header,
        401,
        'Basic realm="Authorization Required"',
        undefined,
      ]);
    }
    const open = await ask(w, 'forward-auth', 'https://public.example.com/', { headers: { authorization: basic('john', 'wrong') } });
    expect(open.status).toBe(200);
  });

  it('ignores other schemes (a Bearer token meant for the application) and falls back to the cookie', async () => {
    const w = await startAuthzGateway();
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'bob'));
    const reply = await ask(w, 'forward-auth', 'https://app.example.com/', { headers: { authorization: 'Bearer abc.def', cookie } });
    expect([reply.status, reply.headers['remote-user']]).toEqual([200, 'bob']);
  });

  it('is regulated: after max_retries failures the right password is refused too (others unaffected)', async () => {
    const w = await startAuthzGateway();
    const attempt = (user: string, secret: string) => ask(w, 'forward-auth', 'https://app.example.com/', { headers: { authorization: basic(user, secret) } });
    for (let i = 0; i < 3; i++) expect((await attempt('john', 'wrong')).status).toBe(401);
    const banned = await attempt('john', password);
    expect([banned.status, banned.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
    expect((await attempt('bob', password)).status).toBe(200);
  });

  it('legacy: ?auth=basic requires Authorization; otherwise Proxy-Authorization is consulted', async () => {
    const w = await startAuthzGateway();
    const none = await ask(w, 'legacy', 'https://app.example.com/', { query: 'auth=basic' });
    expect([none.status, none.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
    const ok = await ask(w, 'legacy', 'https://app.example.com/', { query: 'auth=basic', headers: { authorization: basic('bob', password) } });
    expect([ok.status, ok.headers['remote-user']]).toEqual([200, 'bob']);
    const proxied = await ask(w, 'legacy', 'https://app.example.com/', { headers: { 'proxy-authorization': basic('harry', password) } });
    expect([proxied.status, proxied.headers['remote-user']]).toEqual([200, 'harry']);
  });
});
