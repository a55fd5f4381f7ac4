import { describe, expect, it } from 'vitest';
import { injectListener } from '../helpers/gateway.js';
import { basic } from './ask.js';
import { type AuthzWorld, cookieHeader, loginFirstFactor, password, startAuthzGateway } from './fixtures.js';

/** Endpoints shaped like Authelia's integration suites (the Caddy suite serves /api/authz/caddy). */
const endpoints = {
  caddy: { implementation: 'ForwardAuth' },
  nginx: { implementation: 'AuthRequest', authn_strategies: [{ name: 'HeaderAuthRequestProxyAuthorization', schemes: ['Basic'] }, { name: 'CookieSession' }] },
  envoy: { implementation: 'ExtAuthz', authn_strategies: [{ name: 'HeaderProxyAuthorization' }] },
  legacy: { implementation: 'Legacy' },
  proxied: { implementation: 'ForwardAuth', authn_strategies: [{ name: 'HeaderProxyAuthorization', schemes: ['Basic'] }, { name: 'CookieSession' }] },
};

function start(): Promise<AuthzWorld> {
  return startAuthzGateway({ server: { address: 'tcp://127.0.0.1:0', endpoints: { authz: endpoints } } });
}

const forwarded = (host: string, uri = '/') => ({
  accept: 'text/html',
  'x-forwarded-method': 'GET',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': host,
  'x-forwarded-uri': uri,
});

async function get(world: AuthzWorld, url: string, headers: Record<string, string>, method: 'GET' | 'POST' = 'GET') {
  const reply = await injectListener(world.gateway, { method, url, headers, remoteAddress: '127.0.0.1' });
  return { status: reply.statusCode, headers: reply.headers, body: reply.body };
}

describe('server.endpoints.authz: the configured endpoints (issue 17, item 3)', () => {
  it('serves a custom name (/api/authz/caddy, ForwardAuth); names not configured, and other methods, are 404', async () => {
    const w = await start();
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john'));
    const allowed = await get(w, '/api/authz/caddy', { ...forwarded('app.example.com'), cookie });
    expect([allowed.status, allowed.headers['remote-user']]).toEqual([200, 'john']);
    const anonymous = await get(w, '/api/authz/caddy', forwarded('app.example.com'));
    expect([anonymous.status, anonymous.headers.location]).toEqual([302, 'https://auth.example.com/?rd=https%3A%2F%2Fapp.example.com%2F&rm=GET']);
    for (const url of ['/api/authz/forward-auth', '/api/authz/auth-request', '/api/authz/ext-authz/', '/api/authz/unknown', '/api/authz/caddy/x']) {
      const reply = await get(w, url, { ...forwarded('app.example.com'), cookie });
      expect([url, reply.status]).toEqual([url, 404]);
    }
    expect((await get(w, '/api/authz/caddy', forwarded('app.example.com'), 'POST')).status).toBe(404);
  });

  it('answers each implementation in its own protocol', async () => {
    const w = await start();
    // AuthRequest (nginx): X-Original-URL; "log in" is 401 with Location.
    const nginx = await get(w, '/api/authz/nginx', { 'x-original-url': 'https://app.example.com/a', 'x-original-method': 'GET', accept: 'text/html' });
    expect([nginx.status, nginx.headers.location]).toEqual([401, 'https://auth.example.com/?rd=https%3A%2F%2Fapp.example.com%2Fa&rm=GET']);
    // ExtAuthz (Envoy): the path below the endpoint is the target path, any method.
    const envoy = await get(w, '/api/authz/envoy/admin/x', { host: 'deny.example.com', 'x-forwarded-proto': 'https' }, 'POST');
    expect(envoy.status).toBe(403);
    const envoyLogin = await get(w, '/api/authz/envoy/y', { host: 'app.example.com', 'x-forwarded-proto': 'https', accept: 'text/html' });
    expect([envoyLogin.status, envoyLogin.headers.location]).toEqual([302, 'https://auth.example.com/?rd=https%3A%2F%2Fapp.example.com%2Fy&rm=GET']);
    // Legacy at /api/verify: without rd or X-Authelia-URL, a plain 401.
    const legacy = await get(w, '/api/verify', { 'x-original-url': 'https://app.example.com/', accept: 'text/html' });
    expect([legacy.status, legacy.body]).toEqual([401, '401 Unauthorized']);
  });

  it('lets each strategy read only its own header: Proxy-Authorization answers 407, Authorization 401', async () => {
    const w = await start();
    const wrong = basic('harry', 'not the password');
    // HeaderProxyAuthorization: a failure is 407 + Proxy-Authenticate; an Authorization header is not read.
    const proxyFailed = await get(w, '/api/authz/proxied', { ...forwarded('app.example.com'), 'proxy-authorization': wrong });
    expect([proxyFailed.status, proxyFailed.headers['proxy-authenticate'], proxyFailed.headers['www-authenticate']]).toEqual([
      407,
      'Basic realm="Authorization Required"',
      undefined,
    ]);
    const ignored = await get(w, '/api/authz/proxied', { ...forwarded('app.example.com'), authorization: basic('john', password) });
    expect([ignored.status, ignored.headers['remote-user']]).toEqual([302, undefined]);
    const proxyOk = await get(w, '/api/authz/proxied', { ...forwarded('app.example.com'), 'proxy-authorization': basic('john', password) });
    expect([proxyOk.status, proxyOk.headers['remote-user']]).toEqual([200, 'john']);
    // HeaderAuthorization (the default strategy of /api/authz/caddy): 401 + WWW-Authenticate; Proxy-Authorization is not read.
    const authFailed = await get(w, '/api/authz/caddy', { ...forwarded('app.example.com'), authorization: wrong });
    expect([authFailed.status, authFailed.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
    const notRead = await get(w, '/api/authz/caddy', { ...forwarded('app.example.com'), 'proxy-authorization': basic('john', password) });
    expect([notRead.status, notRead.headers['remote-user']]).toEqual([302, undefined]);
    // HeaderAuthRequestProxyAuthorization: Proxy-Authorization, answered 401 (nginx passes no 407 on).
    const nginx = { 'x-original-url': 'https://app.example.com/', 'x-original-method': 'GET' };
    const arFailed = await get(w, '/api/authz/nginx', { ...nginx, 'proxy-authorization': basic('bob', 'wrong') });
    expect([arFailed.status, arFailed.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
    const arOk = await get(w, '/api/authz/nginx', { ...nginx, 'proxy-authorization': basic('bob', password) });
    expect([arOk.status, arOk.headers['remote-user']]).toEqual([200, 'bob']);
  });

  it('reads the session cookie only where CookieSession is listed', async () => {
    const w = await start();
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john'));
    const withSession = await get(w, '/api/authz/proxied', { ...forwarded('app.example.com'), cookie });
    expect(withSession.status).toBe(200);
    // envoy lists only HeaderProxyAuthorization: the same session is not believed there.
    const noSession = await get(w, '/api/authz/envoy/', { host: 'app.example.com', 'x-forwarded-proto': 'https', accept: 'text/html', cookie });
    expect([noSession.status, noSession.headers['remote-user']]).toEqual([302, undefined]);
  });
});
