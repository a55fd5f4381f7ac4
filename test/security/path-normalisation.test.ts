/**
 * Attack class 4: path-normalisation bypasses of `resources` rules. The world's rules let
 * `/public…` through to anyone and `/admin…` to admins only; bob (group dev, signed in) tries to
 * reach `/admin` by spellings that some server in front of or behind Gatehouse reads as `/admin`.
 * Each is sent to forward-auth (as Traefik/Caddy would forward it) and through the built-in
 * proxy; bob must be refused, or — when allowed — no plausible server reading of what was
 * authorised (decoded once or twice, `;` parameters dropped, NUL-truncated, `\` as `/`, `#` and
 * `?` as literal characters) may be `/admin`.
 */
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../proxy/upstream.js';
import { sharedWorld } from './world.js';

const attacks = [
  '/a/../admin',
  '/public/../admin',
  '/a/%2e%2e/admin',
  '/a/%2E%2E/admin',
  '/a/.%2e/admin',
  '/a/%2e./admin',
  '/%2e%2e/admin',
  '/%2e/admin',
  '/./admin',
  '//admin',
  '///admin/',
  '/a%2e/admin',
  '/a/..%2fadmin',
  '/a/..%2Fadmin',
  '/public%2f..%2fadmin',
  '/public/%2e%2e%2fadmin',
  '/a/..%5cadmin',
  '/a\\..\\admin',
  '/a/..\\admin',
  '/%5cadmin',
  '/%2fadmin',
  '/admin%2f',
  '/admin%00',
  '/admin%00.css',
  '/public/%00/../admin',
  '/a/..%00/admin',
  '/admin;.css',
  '/admin;jsessionid=x',
  '/public/..;/admin',
  '/public;/../admin',
  '/;x/admin',
  '/..;/admin',
  '/admin#',
  '/admin#/public/',
  '/public/#/../admin',
  '/public#/../admin',
  '/admin?/public/',
  '/admin?x=/public/',
  '/public/?/../admin',
  '/public?/../../admin',
  '/a/%252e%252e/admin',
  '/%252e%252e/admin',
  '/public%252f..%252fadmin',
  '/%2561dmin',
  '/%61dmin',
  '/adm%69n/',
  '/%61%64%6d%69%6e',
  '/%C0%AE%C0%AE/admin',
  '/a/%c0%ae%c0%ae/admin',
  '/%c0%afadmin',
  '/public//../admin',
  '/public/x/../../admin',
  '/public/x/%2e%2e/%2e%2e/admin',
  '/admin%09',
  '/a/%2e%2e%00/admin',
  '/admin/..',
  '/admin/.',
  '/admin/%2e',
];

/** The paths servers may read out of a raw request target: the ways perf-security.md §B's advisories did. */
function serverReadings(target: string): string[] {
  const decode = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const resolve = (s: string) => {
    try {
      // WHATWG: dot segments (and %2e) resolved, `\` is `/` for http, `?` and `#` end the path.
      return decode(new URL(s.replace(/^\/+/, '/'), 'http://x').pathname);
    } catch {
      return s;
    }
  };
  const variants = new Set<string>();
  const inputs = [target, decode(target), decode(decode(target))];
  for (const input of inputs) {
    for (const form of [
      input,
      input.replace(/;[^/?#]*/g, ''), // Tomcat/Jetty path parameters
      input.split('\u0000')[0]!, // C strings
      input.replace(/#/g, '%23'), // '#' taken literally
      input.replace(/\/{2,}/g, '/'), // slashes merged first
    ]) {
      variants.add(resolve(form));
    }
  }
  return [...variants];
}

const reachesAdmin = (target: string) => serverReadings(target).some((path) => /^\/+admin(\/|$|\?|#|;)/.test(path));

describe('path normalisation: CVE-2025-32431, GHSA-vrch-868g-9jx5, GHSA-gm3x-23wp-hc2c (CVE-2025-66490), GHSA-xf64-8mw2-4gr2 (CVE-2026-48020), CVE-2023-47106, GHSA-7rh7-c77v-6434, GHSA-pxq7-h93f-9jrg, GHSA-pvrc-wvj2-f59p; ASVS 4.1.1', () => {
  it('the readings see through every attack but the ones no server reads as /admin (the oracle works)', () => {
    expect(reachesAdmin('/a/../admin')).toBe(true);
    expect(reachesAdmin('/public/..%2fadmin')).toBe(true);
    expect(reachesAdmin('/%252e%252e/admin')).toBe(true);
    expect(reachesAdmin('/admin;.css')).toBe(true);
    expect(reachesAdmin('/public/x')).toBe(false);
    expect(reachesAdmin('/a./admin')).toBe(false);
  });

  describe('forward-auth (X-Forwarded-Uri, X-Original-URL)', () => {
    const world = sharedWorld({ domain: 'example.com' });
    const forwardAuth = async (user: string, uri: string) => {
      const w = world();
      return w.inject({
        method: 'GET',
        url: '/api/authz/forward-auth',
        headers: {
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'app.example.com',
          'x-forwarded-uri': uri,
          accept: 'text/html',
          cookie: await w.cookieOf(user),
        },
      });
    };

    it('controls: bob reaches /public and /x, not /admin; john (admins) reaches /admin and its decoded spellings', async () => {
      expect((await forwardAuth('bob', '/public/x')).statusCode).toBe(200);
      expect((await forwardAuth('bob', '/x')).statusCode).toBe(200);
      expect((await forwardAuth('bob', '/admin')).statusCode).toBe(403);
      for (const uri of ['/admin', '/%61dmin', '/a/../admin', '/admin;.css']) expect([uri, (await forwardAuth('john', uri)).statusCode]).toEqual([uri, 200]);
    });

    it.each(attacks)('bob with X-Forwarded-Uri %j: refused, or allowed only where no server reads /admin', async (uri) => {
      const reply = await forwardAuth('bob', uri);
      if (reply.statusCode === 200) expect([uri, serverReadings(uri)]).toEqual([uri, expect.not.arrayContaining([expect.stringMatching(/^\/+admin(\/|$)/)])]);
      // 403: refused by the rules' normaliser; 400: not a path a proxy sends (`//admin`).
      else expect([uri, [400, 403].includes(reply.statusCode)]).toEqual([uri, true]);
      expect(reply.statusCode === 200 && reachesAdmin(uri)).toBe(false);
    });

    it.each(attacks.filter((uri) => !uri.includes('\\') && !uri.includes('#')))('bob with X-Original-URL …%s: same verdict as X-Forwarded-Uri', async (uri) => {
      const w = world();
      const viaNginx = await w.inject({
        method: 'GET',
        url: '/api/authz/auth-request',
        headers: { 'x-original-url': `https://app.example.com${uri}`, 'x-original-method': 'GET', cookie: await w.cookieOf('bob') },
      });
      const viaTraefik = await forwardAuth('bob', uri);
      expect([uri, viaNginx.statusCode === 200]).toEqual([uri, viaTraefik.statusCode === 200]);
    });
  });

  describe('built-in proxy (raw request line)', () => {
    const world = sharedWorld({ domain: 'gatehouse.localhost', upstreams: ['app'] });
    const get = async (target: string, user: 'bob' | 'john' = 'bob') => {
      const w = world();
      const before = w.upstreams.app!.seen.length;
      const head = `GET ${target} HTTP/1.1\r\nHost: app.gatehouse.localhost:${w.port}\r\nCookie: ${await w.cookieOf(user)}\r\n`;
      const reply = await rawExchange(w.port, `${head}Connection: close\r\n\r\n`);
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0), reached: w.upstreams.app!.seen.slice(before).map((s) => s.url) };
    };

    it('controls: bob is proxied to /x, refused /admin; john is proxied to /admin', async () => {
      expect(await get('/x')).toEqual({ status: 200, reached: ['/x'] });
      expect(await get('/admin')).toEqual({ status: 403, reached: [] });
      expect(await get('/admin', 'john')).toEqual({ status: 200, reached: ['/admin'] });
    });

    it.each(attacks)('bob with %j: refused (400/403), or what reaches the upstream is no server’s /admin', async (target) => {
      const { status, reached } = await get(target);
      if (status === 200) {
        expect(reached).toEqual([target]);
        expect([target, reachesAdmin(target)]).toEqual([target, false]);
      } else {
        expect([target, [400, 403]]).toEqual([target, expect.arrayContaining([status])]);
        expect(reached).toEqual([]);
      }
    });
  });
});
