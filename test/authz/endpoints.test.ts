import { describe, expect, it } from 'vitest';
import { ask, flavours } from './ask.js';
import { type AuthzWorld, cookieHeader, loginFirstFactor, raiseToTwoFactor, startAuthzGateway } from './fixtures.js';
import { injectListener } from '../helpers/gateway.js';

const portal = 'https://auth.example.com/';
const loginAt = (target: string, method = 'GET') => `${portal}?rd=${encodeURIComponent(target)}&rm=${method}`;

async function world(): Promise<AuthzWorld> {
  return startAuthzGateway();
}

describe('forward-auth endpoints: outcomes (authelia.md §2)', () => {
  it('sends an anonymous browser to the portal with rd and rm, per flavour', async () => {
    const w = await world();
    const target = 'https://app.example.com/path?q=1';
    const expected: Record<string, number> = { 'forward-auth': 302, 'auth-request': 401, 'ext-authz': 302, legacy: 302 };
    for (const flavour of flavours) {
      const reply = await ask(w, flavour, target);
      expect([flavour, reply.status, reply.headers.location]).toEqual([flavour, expected[flavour], loginAt(target)]);
    }
    const get = await ask(w, 'forward-auth', target);
    expect(get.body).toBe(`<a href="${loginAt(target).replace(/&/g, '&#38;')}">302 Found</a>`);
  });

  it('answers 303 for other methods, 401 for XHR or a non-HTML Accept, and always 401 + Location for auth-request', async () => {
    const w = await world();
    const target = 'https://app.example.com/form';
    const post = await ask(w, 'forward-auth', target, { method: 'POST' });
    expect([post.status, post.headers.location]).toEqual([303, loginAt(target, 'POST')]);
    expect((await ask(w, 'forward-auth', target, { method: 'HEAD' })).status).toBe(302);
    const xhr = await ask(w, 'forward-auth', target, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
    expect([xhr.status, xhr.headers.location, xhr.body]).toEqual([401, undefined, '401 Unauthorized']);
    expect((await ask(w, 'forward-auth', target, { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await ask(w, 'forward-auth', target, { headers: { accept: '*/*' } })).status).toBe(302);
    expect((await ask(w, 'forward-auth', target, { headers: { accept: 'application/json, */*' } })).status).toBe(401);
    const nginx = await ask(w, 'auth-request', target, { method: 'POST' });
    expect([nginx.status, nginx.headers.location]).toEqual([401, loginAt(target, 'POST')]);
  });

  it('lets bypass through without identity, and forbids deny with 403', async () => {
    const w = await world();
    for (const flavour of flavours) {
      const open = await ask(w, flavour, 'https://public.example.com/');
      expect([flavour, open.status, open.headers['remote-user']]).toEqual([flavour, 200, undefined]);
      const denied = await ask(w, flavour, 'https://deny.example.com/');
      expect([flavour, denied.status, denied.body]).toEqual([flavour, 403, '403 Forbidden']);
    }
  });

  it('gives a logged-in user 200 with the four Remote-* headers, through the real /api/firstfactor', async () => {
    const w = await world();
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john'));
    for (const flavour of flavours) {
      const reply = await ask(w, flavour, 'https://app.example.com/', { headers: { cookie } });
      expect([flavour, reply.status]).toEqual([flavour, 200]);
      expect(reply.headers).toMatchObject({
        'remote-user': 'john',
        'remote-groups': 'admins,dev',
        'remote-name': 'John Doe',
        'remote-email': 'john@example.com',
      });
    }
  });

  it('sends a one-factor session to the portal for a two-factor site, and lets two factors through', async () => {
    const w = await world();
    const id = await loginFirstFactor(w, 'bob');
    const cookie = cookieHeader(w, id);
    const once = await ask(w, 'forward-auth', 'https://secure.example.com/x', { headers: { cookie } });
    expect([once.status, once.headers.location]).toEqual([302, loginAt('https://secure.example.com/x')]);
    await raiseToTwoFactor(w, id);
    const twice = await ask(w, 'forward-auth', 'https://secure.example.com/x', { headers: { cookie } });
    expect([twice.status, twice.headers['remote-user']]).toEqual([200, 'bob']);
  });

  it('asks an anonymous user to log in on a subject rule, then forbids or allows by group', async () => {
    const w = await world();
    expect((await ask(w, 'forward-auth', 'https://app.example.com/admin')).status).toBe(302);
    const bob = cookieHeader(w, await loginFirstFactor(w, 'bob'));
    const john = cookieHeader(w, await loginFirstFactor(w, 'john'));
    expect((await ask(w, 'forward-auth', 'https://app.example.com/admin', { headers: { cookie: bob } })).status).toBe(403);
    expect((await ask(w, 'forward-auth', 'https://app.example.com/admin', { headers: { cookie: john } })).status).toBe(200);
    // Dot-segments are normalised before matching: they cannot dodge the rule.
    expect((await ask(w, 'forward-auth', 'https://app.example.com/x/%2e%2e/admin', { headers: { cookie: bob } })).status).toBe(403);
  });

  it('ends access at once after logout, despite the session cache', async () => {
    const w = await world();
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john'));
    expect((await ask(w, 'forward-auth', 'https://app.example.com/', { headers: { cookie } })).status).toBe(200);
    const out = await injectListener(w.gateway, {
      method: 'POST',
      url: '/api/logout',
      headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https', cookie, 'content-type': 'application/json' },
      payload: {},
    });
    expect(out.statusCode).toBe(200);
    expect((await ask(w, 'forward-auth', 'https://app.example.com/', { headers: { cookie } })).status).toBe(302);
  });

  it('overrides the portal with authelia_url / portal_url only within the cookie domain', async () => {
    const w = await world();
    const target = 'https://app.example.com/';
    for (const name of ['authelia_url', 'portal_url']) {
      const ok = await ask(w, 'forward-auth', target, { query: `${name}=${encodeURIComponent('https://login.example.com/')}` });
      expect(ok.headers.location).toBe(`https://login.example.com/?rd=${encodeURIComponent(target)}&rm=GET`);
      const evil = await ask(w, 'forward-auth', target, { query: `${name}=${encodeURIComponent('https://example.com.evil.tld/')}` });
      expect(evil.status).toBe(400);
    }
    const ext = await ask(w, 'ext-authz', target, { headers: { 'x-authelia-url': 'https://login.example.com' } });
    expect(ext.headers.location).toBe(`https://login.example.com/?rd=${encodeURIComponent(target)}&rm=GET`);
    expect(w.logs()).toContain('is not an https URL under the cookie domain');
  });

  it('legacy /api/verify answers a plain 401 without a portal, and 401 for malformed requests', async () => {
    const w = await world();
    const plain = await ask(w, 'legacy', 'https://app.example.com/', { query: 'x=1' });
    expect([plain.status, plain.headers.location, plain.body]).toEqual([401, undefined, '401 Unauthorized']);
    const outside = await ask(w, 'legacy', 'https://other.org/', { query: 'x=1' });
    expect(outside.status).toBe(401);
  });
});
