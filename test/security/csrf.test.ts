/**
 * Attack class 7: CSRF on every state-changing endpoint. The route table is read as the gateway
 * builds it (src/server/routes.ts `routeTable`, recorded through a mock that calls the real
 * one), so a POST/PUT/DELETE route added later is attacked here without being listed — and fails
 * this suite unless it has the same-origin guard or is added to the exceptions below, which are
 * cross-site by design. Each attack carries a signed-in session and a body the route's schema
 * accepts, so that only the guard can stop it; the guard's own log line proves it did.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { captured, type CapturedRoute, concreteUrl, formCompatible, validBody } from './routes.js';
import { openWorld } from './world.js';

vi.mock('../../src/server/routes.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/server/routes.js')>();
  const { captureRoutes } = await import('./routes.js');
  return { ...original, routeTable: captureRoutes(original.routeTable) };
});

/** State-changing routes that take cross-site requests on purpose, and why. */
const crossSiteByDesign = new Map([
  ['POST /api/oidc/authorization', 'OAuth 2.0 authorization request (OIDC Core §3.1.2.1 allows POST); it only ever answers the registered redirect_uri'],
  ['POST /api/oidc/token', 'token endpoint: client-authenticated, no cookie is read (RFC 6749 §3.2)'],
  ['POST /api/oidc/introspection', 'introspection: client-authenticated, no cookie is read (RFC 7662)'],
  ['POST /api/oidc/revocation', 'revocation: client-authenticated, no cookie is read (RFC 7009)'],
  ['POST /api/oidc/userinfo', 'userinfo: a bearer token in the body or header, no cookie is read (RFC 6750 §2.2)'],
  [
    'POST /api/oidc/end-session',
    'RP-initiated logout (OpenID RP-Initiated Logout §2): asks before ending a session it cannot tie to the request (tested below)',
  ],
]);

const stateChanging = (route: CapturedRoute) => ['POST', 'PUT', 'DELETE', 'PATCH'].includes(route.method);
const key = (route: CapturedRoute) => `${route.method} ${route.url}`;

const { world, close } = await openWorld({
  config: {
    identity_providers: {
      oidc: {
        hmac_secret: 'a-very-long-hmac-secret-for-the-attack-suite',
        clients: [{ client_id: 'app', public: true, authorization_policy: 'one_factor', redirect_uris: ['http://app.gatehouse.localhost/cb'] }],
      },
    },
    webauthn: { enable_passkey_login: true },
  },
});
afterAll(close);
const guarded = captured.filter((r) => stateChanging(r) && !crossSiteByDesign.has(key(r)));
const cookie = await world.cookieOf('bob');

/** Requests refused by the guard so far, for `path`. */
const refusals = (path: string) =>
  world
    .logs()
    .split('\n')
    .filter((line) => line.includes('cross-site request refused') && line.includes(`"path":${JSON.stringify(path)}`)).length;

async function attack(route: CapturedRoute, headers: Record<string, string>, form = false) {
  const url = concreteUrl(route);
  const body = validBody(route);
  const payload = body === undefined ? undefined : form && formCompatible(body) ? new URLSearchParams(body).toString() : JSON.stringify(body);
  const type = payload === undefined ? {} : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' };
  const before = refusals(url);
  const reply = await world.inject({ method: route.method as 'POST', url, payload, headers: { host: world.portalHost, cookie, ...type, ...headers } });
  return { reply, refusedByGuard: refusals(url) - before };
}

describe('CSRF: oauth2-proxy GHSA-rrm8-32g4-w8m3 (CVE-2017-1000069), authentik CVE-2022-46145 class; ASVS 4.2.2, 13.2.3', () => {
  it('the table was read: dozens of state-changing routes, and every exception is one of them', () => {
    expect(guarded.length).toBeGreaterThan(40);
    const all = new Set(captured.map(key));
    for (const exception of crossSiteByDesign.keys()) expect([exception, all.has(exception)]).toEqual([exception, true]);
  });

  it.each(guarded.map((r) => [key(r), r] as const))(
    '%s: a cross-site request (Origin evil, Sec-Fetch-Site cross-site) is refused by the guard',
    async (_name, route) => {
      const { reply, refusedByGuard } = await attack(route, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect([reply.statusCode, reply.json()]).toEqual([403, { status: 'KO', message: 'Forbidden' }]);
      expect(refusedByGuard).toBe(1);
    },
  );

  it.each(guarded.map((r) => [key(r), r] as const))(
    '%s: a form from another origin without Sec-Fetch-Site (older browsers) is refused',
    async (_name, route) => {
      const body = validBody(route);
      const { reply, refusedByGuard } = await attack(route, { origin: 'https://evil.example' }, true);
      // A body a form can carry reaches the guard; one with booleans or numbers is refused by the schema first.
      if (body === undefined || formCompatible(body)) expect([reply.statusCode, refusedByGuard]).toEqual([403, 1]);
      else expect(reply.statusCode).toBeGreaterThanOrEqual(400);
    },
  );

  it.each(guarded.map((r) => [key(r), r] as const))('%s: same-site (a sibling subdomain) and Origin: null are refused too', async (_name, route) => {
    const variants: Record<string, string>[] = [{ 'sec-fetch-site': 'same-site', origin: 'http://app.gatehouse.localhost' }, { origin: 'null' }];
    for (const headers of variants) {
      const { reply, refusedByGuard } = await attack(route, headers);
      expect([headers, reply.statusCode, refusedByGuard]).toEqual([headers, 403, 1]);
    }
  });

  it('bob is still signed in after every attack (nothing was changed for him)', async () => {
    const state = await world.inject({ method: 'GET', url: '/api/state', headers: { host: world.portalHost, cookie } });
    expect(state.json().data).toMatchObject({ username: 'bob', authentication_level: 1 });
  });

  it('control: the same requests from the portal’s own origin get past the guard (run last: they sign bob out)', async () => {
    let passed = 0;
    for (const route of guarded) {
      const { reply, refusedByGuard } = await attack(route, { origin: `http://${world.portalHost}`, 'sec-fetch-site': 'same-origin' });
      expect([key(route), refusedByGuard]).toEqual([key(route), 0]);
      // A form route may answer its own 403 page (a step not allowed yet); only the guard's JSON refusal counts as stopped.
      const json = String(reply.headers['content-type'] ?? '').includes('json');
      if (reply.statusCode !== 403 || !json || reply.json().message !== 'Forbidden') passed++;
    }
    expect(passed).toBe(guarded.length);
  });

  it('a cross-site POST to end-session asks first: the session survives (RP-Initiated Logout §2)', async () => {
    const other = await world.cookieOf('harry');
    const reply = await world.inject({
      method: 'POST',
      url: '/api/oidc/end-session',
      payload: 'client_id=app',
      headers: {
        host: world.portalHost,
        cookie: other,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
    });
    expect(reply.statusCode).toBeLessThan(400);
    expect(reply.headers['set-cookie']).toBeUndefined();
    const state = await world.inject({ method: 'GET', url: '/api/state', headers: { host: world.portalHost, cookie: other } });
    expect(state.json().data.username).toBe('harry');
  });
});
