/**
 * Attack class 13: oversized and malformed input on every endpoint. The route table is read as
 * the gateway builds it (as in csrf.test.ts), plus the forward-auth endpoints the listener answers
 * ahead of it, and every route gets: an oversized body, malformed and hostile JSON, a wrong
 * content type, overlong and numerous headers and cookies (vouch-proxy's `name_1of10000000000`),
 * overlong and invalid query values. Each must be a 4xx with a message that says something —
 * never a 5xx, never a stack trace — and the gateway must still answer `/api/health` after.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaults } from '../../src/config/defaults.js';
import { rawExchange } from '../proxy/upstream.js';
import { bodyAccepts, bodyFields, captured, type CapturedRoute, concreteUrl, validBody } from './routes.js';
import { openWorld } from './world.js';

vi.mock('../../src/server/routes.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/server/routes.js')>();
  const { captureRoutes } = await import('./routes.js');
  return { ...original, routeTable: captureRoutes(original.routeTable) };
});

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

/** A fresh session of bob for each route's cases: some routes end sessions (logout, logout everywhere). */
let cookie = '';
async function freshSession() {
  const client = world.client();
  expect((await client.login('bob')).status).toBe(200);
  cookie = `${world.config.session.cookies[0]!.name}=${client.session}`;
}

/** The forward-auth endpoints (answered by the listener, not in fastify's table), as routes. */
const forwardAuth = ['/api/authz/forward-auth', '/api/authz/auth-request', '/api/authz/ext-authz/x', '/api/verify'].map(
  (url) => ({ method: 'GET', url, options: { method: 'GET', url, handler: () => undefined } }) as CapturedRoute,
);
const routes = [...captured.filter((r) => r.method !== 'HEAD'), ...forwardAuth];
const withBody = routes.filter((r) => ['POST', 'PUT', 'DELETE', 'PATCH'].includes(r.method));
const forwardHeaders = {
  'x-forwarded-method': 'GET',
  'x-forwarded-proto': 'http',
  'x-forwarded-host': 'app.gatehouse.localhost',
  'x-forwarded-uri': '/',
  'x-original-url': 'http://app.gatehouse.localhost/',
  'x-original-method': 'GET',
};
const name = (r: CapturedRoute) => `${r.method} ${r.url}`;

/** One request to a route as a signed-in browser on the portal host would send it, with `extra` headers and `payload`. */
async function send(route: CapturedRoute, payload: string | Buffer | undefined, headers: Record<string, string>, url = concreteUrl(route)) {
  const reply = await world.inject({
    method: route.method as 'POST',
    url,
    payload,
    headers: {
      host: world.portalHost,
      cookie,
      origin: `http://${world.portalHost}`,
      'sec-fetch-site': 'same-origin',
      ...(route.url.startsWith('/api/authz') || route.url === '/api/verify' ? forwardHeaders : {}),
      ...headers,
    },
  });
  return { status: reply.statusCode, body: reply.body, type: String(reply.headers['content-type'] ?? '') };
}

const shown = (route: CapturedRoute, reply: { status: number; body: string }) => `${name(route)} answered ${reply.status}: ${reply.body.slice(0, 160)}`;

/** A 4xx (one of `statuses` when given) that says what is wrong, in a body that shows no internals. */
function expectUsefulRefusal(route: CapturedRoute, reply: { status: number; body: string }, statuses: readonly number[] = []) {
  const fits = reply.status >= 400 && reply.status < 500 && (statuses.length === 0 || statuses.includes(reply.status));
  expect(fits, shown(route, reply)).toBe(true);
  expect(reply.body.length, shown(route, reply)).toBeGreaterThan(10);
  expect(reply.body, shown(route, reply)).not.toMatch(/\n\s+at |node_modules|\/src\/|TypeError|ReferenceError|Internal Server Error/);
}

/** Never a 5xx; a 4xx is a useful one. */
function expectNoServerError(route: CapturedRoute, reply: { status: number; body: string }) {
  expect(reply.status < 500, shown(route, reply)).toBe(true);
  if (reply.status >= 400) expect(reply.body, shown(route, reply)).not.toMatch(/\n\s+at |node_modules|\/src\/|TypeError|ReferenceError/);
}

describe('malformed input on every endpoint: GHSA-qqff-5854-px68 (vouch-proxy cookie parts), GHSA-6x33-pw7p-hmpq, CVE-2024-21536, CVE-2021-32637 (fail closed); ASVS 5.1.3, 5.1.4, 12.1.1, 13.1.x', () => {
  it('the table was read: every route is attacked below', () => {
    expect(routes.length).toBeGreaterThan(90);
    expect(withBody.length).toBeGreaterThan(40);
  });

  describe.each(withBody.map((r) => [name(r), r] as const))('%s', (_name, route) => {
    beforeAll(freshSession);

    it('an oversized body (just over fastify’s 1 MiB) is refused with 413 (OAuth endpoints: 400 invalid_request, RFC 6749 §5.2)', async () => {
      const big = JSON.stringify({ username: 'x'.repeat(1024 * 1024 + 1) });
      expectUsefulRefusal(route, await send(route, big, { 'content-type': 'application/json' }), route.url.startsWith('/api/oidc/') ? [400, 413] : [413]);
    });

    it('malformed JSON is refused (400), never parsed halfway', async () => {
      for (const bad of ['{"username":', '{username: 1}', '\u0000', '[1,2', '{"a":1}}', '"\\ud800"x']) {
        expectUsefulRefusal(route, await send(route, bad, { 'content-type': 'application/json' }), [400]);
      }
    });

    it('deeply nested JSON and a __proto__ key are refused or ignored, never a crash', async () => {
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      expectNoServerError(route, await send(route, deep, { 'content-type': 'application/json' }));
      const body = validBody(route);
      const hostile = `{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}}${body && typeof body === 'object' ? `,${JSON.stringify(body).slice(1)}` : '}'}`;
      expectNoServerError(route, await send(route, hostile, { 'content-type': 'application/json' }));
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a content type the route does not read is refused (a route with no body ignores it)', async () => {
      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-7']) {
        const reply = await send(route, '<x>1</x>', { 'content-type': type });
        if (bodyFields(route).length > 0) expectUsefulRefusal(route, reply);
        else expectNoServerError(route, reply);
      }
    });

    it('a JSON body the schema refuses (array, number, null, text, fields of the wrong type) is refused with 400', async () => {
      const wrongFields = Object.fromEntries(bodyFields(route).map((field) => [field, 12345]));
      for (const wrong of [[], 42, null, 'text', true, wrongFields, { ...(validBody(route) as object), extra: { nested: [1] } }]) {
        // Only what the schema refuses: some bodies are optional (null) or open.
        if (bodyFields(route).length === 0 || bodyAccepts(route, wrong)) continue;
        expectUsefulRefusal(route, await send(route, JSON.stringify(wrong), { 'content-type': 'application/json' }), [400]);
      }
    });
  });

  describe.each(routes.map((r) => [name(r), r] as const))('%s', (_name, route) => {
    beforeAll(freshSession);

    it('overlong headers (20 KiB) are refused by the parser with 431', async () => {
      const head = `${route.method} ${concreteUrl(route)} HTTP/1.1\r\nHost: ${world.portalHost}\r\nX-Filler: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`;
      const reply = await rawExchange(world.port, head);
      expect([name(route), reply.slice(0, 12)]).toEqual([name(route), 'HTTP/1.1 431']);
    });

    it('hostile cookies (name_1of10000000000, 500 cookies, a 4 KiB session value, bad escapes) answer as without them', async () => {
      const session = defaults.session.name;
      for (const jar of [
        `${session}_1of10000000000=x; ${cookie}`,
        `${cookie}; ${Array.from({ length: 500 }, (_, i) => `c${i}=${i}`).join('; ')}`,
        `${session}=${'A'.repeat(4096)}`,
        `${session}=%E0%A4%A; ${session}=%ff%fe`,
        `=;;;=; ${session}`,
      ]) {
        expectNoServerError(
          route,
          await send(route, route.method === 'GET' ? undefined : JSON.stringify(validBody(route) ?? {}), { cookie: jar, 'content-type': 'application/json' }),
        );
      }
    });

    it('overlong, repeated and invalid query values are refused or ignored, never a 5xx', async () => {
      const url = concreteUrl(route);
      const queries = [
        `rd=${'a'.repeat(9000)}`,
        'rd=a&rd=b',
        'rd=%ff%fe%fd',
        'rd=%E0%A4%A',
        `${'x'.repeat(3000)}=1`,
        Array.from({ length: 2000 }, (_, i) => `p${i}=${i}`).join('&'),
        'flow_id=%00&client_id[]=x&token[a]=b',
      ];
      // Routes that read no query get all of them at once.
      for (const query of route.method === 'GET' ? queries : [queries.join('&')]) {
        expectNoServerError(
          route,
          await send(
            route,
            route.method === 'GET' ? undefined : JSON.stringify(validBody(route) ?? {}),
            { 'content-type': 'application/json' },
            `${url}?${query}`,
          ),
        );
      }
    });
  });

  it('the gateway still answers /api/health, and logged no server error', async () => {
    const health = await world.inject({ method: 'GET', url: '/api/health', headers: { host: world.portalHost } });
    expect([health.statusCode, health.json()]).toEqual([200, { status: 'OK' }]);
    const errors = world
      .logs()
      .split('\n')
      .filter((l) => l.includes('"level":50') || l.includes('"level":60'));
    expect(errors).toEqual([]);
  });
});
