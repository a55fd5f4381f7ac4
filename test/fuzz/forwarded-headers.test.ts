/**
 * Fuzzer: the forwarded-header reading (shared/http/request-view.ts, authz/headers.ts, the four
 * forward-auth flavours' readers, the listener) and trusted-proxy handling.
 * - Nothing throws: any headers (repeated, any case, lists, junk, Unicode, control characters)
 *   give a view or a 400 naming a header; a reader fails only with ForwardedHeaderError; the
 *   listener answers every request, never with a 5xx.
 * - An untrusted peer's `X-Forwarded-*`, `Forwarded` and `X-Real-IP` change nothing: the view is
 *   the one of the same request without them (client IP = the peer, scheme = the listener's,
 *   host = `Host`), and they never cause an error.
 * - From a trusted peer, the client IP is `X-Forwarded-For` walked back over trusted hops
 *   (computed here with Node's BlockList), and a client behind a trusted proxy cannot choose its
 *   address by sending its own `X-Forwarded-For` first.
 * - `Forwarded` (RFC 7239) is not read, from anyone.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cookiesOf, readParams, splitTarget } from '../../src/authz/endpoint.js';
import type { AuthzEndpoint } from '../../src/authz/endpoint-table.js';
import { ForwardedHeaderError, ForwardedHeaders } from '../../src/authz/headers.js';
import { authzEndpointOf } from '../../src/authz/http.js';
import { compileRules } from '../../src/rules/index.js';
import { trustFunction } from '../../src/server/trust.js';
import { canonicalIp } from '../../src/shared/client-ip.js';
import { isRequestViewError, readRequestView, type RequestView, type RequestViewError } from '../../src/shared/http/request-view.js';
import { configOf } from '../helpers/config.js';
import { readRules } from '../rules/fixtures.js';
import { ListenerProbe } from './probe.js';
import { incoming } from './requests.js';
import { fuzzParameters, fuzzTimeout } from './runs.js';

const trustedCidrs = ['127.0.0.0/8', '10.99.0.0/16', '::1/128'];
const trust = trustFunction(trustedCidrs);

const trustedAddress = fc.constantFrom('127.0.0.1', '127.9.8.7', '10.99.0.5', '10.99.255.1', '::1', '::ffff:10.99.0.5', '::ffff:127.0.0.1');
const untrustedAddress = fc.constantFrom('203.0.113.9', '198.51.100.7', '10.98.0.1', '192.168.1.1', '2001:db8::5', '::ffff:198.51.100.7', 'fe80::1', '0.0.0.0');
const address = fc.oneof(trustedAddress, untrustedAddress);

/** Header names whose value only a trusted proxy's word should carry. */
const forwarding = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-original-url',
  'x-original-method',
  'forwarded',
  'x-real-ip',
];

/** Junk: lists, spaces, tabs, quotes, Unicode, control characters, very long. */
const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...',; \t"=:/[]@.%\u0000\r\u00e9\u{1F600}aA1'.split('')), maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom('', ' ', ',', ', ,', 'a'.repeat(9000), 'unknown', '_hidden', 'for=1.2.3.4', '1.2.3.4, 5.6.7.8', '[::1]:80'),
);
const hostValue = fc.oneof(
  fc.constantFrom(
    'app.example.com',
    'APP.example.com.:8443',
    'auth.example.com',
    '[::1]:80',
    '192.0.2.1',
    'a..b',
    'app.example.com:@evil.com',
    'bücher.example.com',
    '',
  ),
  junk,
);
const valueFor: Record<string, fc.Arbitrary<string>> = {
  host: hostValue,
  'x-forwarded-host': hostValue,
  'x-forwarded-for': fc.oneof(
    fc.array(address, { maxLength: 4 }).map((a) => a.join(', ')),
    junk,
  ),
  'x-forwarded-proto': fc.oneof(fc.constantFrom('https', 'http', 'HTTPS', 'ftp', 'https, http', ''), junk),
  'x-forwarded-uri': fc.oneof(fc.constantFrom('/', '/a/b?c', '//evil', 'x', '/%2e%2e/admin', '/a b'), junk),
  'x-forwarded-method': fc.oneof(fc.constantFrom('GET', 'POST', 'get', ''), junk),
  'x-original-url': fc.oneof(
    fc.constantFrom('https://app.example.com/x', 'http://app.example.com', 'ftp://a/b', 'https://user@app.example.com/', 'https://app.example.com/#x'),
    junk,
  ),
  'x-original-method': fc.oneof(fc.constantFrom('GET', 'DELETE', 'g'), junk),
  forwarded: fc.oneof(
    fc.constantFrom('for=192.0.2.60;proto=http;by=203.0.113.43', 'for="[2001:db8::1]:80";host=evil.example', 'for=unknown, for=1.2.3.4'),
    junk,
  ),
  'x-real-ip': fc.oneof(address, junk),
  authorization: fc.oneof(fc.constantFrom('Basic am9objpwdw==', 'Basic !!!', 'Bearer x', 'Bearer'), junk),
  'proxy-authorization': fc.oneof(fc.constantFrom('Basic am9objpwdw==', 'Basic'), junk),
  cookie: fc.oneof(fc.constantFrom('gatehouse_session=abc', 'a=b; a=c', '=; ;', 'x="y'), junk),
  'x-authelia-url': fc.oneof(fc.constantFrom('https://auth.example.com/', 'https://evil.com/'), junk),
  accept: fc.constantFrom('text/html', '*/*', 'application/json'),
};
const names = Object.keys(valueFor);

/** One header line: a known name in any case (or a junk name) with a value for it. */
const headerLine = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...names), fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }))
      .chain(([name, upper]) =>
        valueFor[name]!.map((value) => [[...name].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join(''), value] as const),
      ),
    weight: 9,
  },
  { arbitrary: fc.tuple(fc.string({ unit: fc.constantFrom(...'abcxyz-_'.split('')), minLength: 1, maxLength: 8 }), junk), weight: 1 },
);

const target = fc.constantFrom(
  '/api/authz/forward-auth',
  '/api/authz/forward-auth?rd=https://auth.example.com/&rd=x',
  '/api/authz/auth-request?authelia_url=https%3A%2F%2Fauth.example.com',
  '/api/authz/ext-authz/some/path?q=1',
  '/api/authz/ext-authz',
  '/api/verify?auth=basic',
  '/api/verify',
  'http://app.example.com/api/verify',
  '*',
  '/',
);

const request = fc.record({
  peer: address,
  url: target,
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS'),
  headers: fc.array(headerLine, { maxLength: 10 }),
  encrypted: fc.boolean(),
});
type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function build(r: Generated, headers: readonly (readonly [string, string])[] = r.headers) {
  return incoming({ method: r.method, url: r.url, headers, remoteAddress: r.peer, encrypted: r.encrypted });
}

/** Authelia's four default endpoints, each with its default strategies. */
const readers: readonly [string, AuthzEndpoint][] = ['/api/authz/forward-auth', '/api/authz/auth-request', '/api/authz/ext-authz', '/api/verify'].map(
  (path) => [path, authzEndpointOf('GET', path)!],
);

/** The view without its memo symbol, comparable. */
function plain(view: RequestView | RequestViewError): unknown {
  return isRequestViewError(view) ? { error: view.header, message: view.message } : { ...view };
}

/** The trust test, computed apart from proxy-addr: Node's BlockList over the same CIDRs. */
const trustedList = new BlockList();
for (const cidr of trustedCidrs) {
  const [net = '', bits = ''] = cidr.split('/');
  trustedList.addSubnet(net, Number(bits), isIPv4(net) ? 'ipv4' : 'ipv6');
}
function isTrusted(ip: string): boolean {
  if (isIPv4(ip)) return trustedList.check(ip, 'ipv4');
  if (isIPv6(ip)) return trustedList.check(ip, 'ipv6');
  return false;
}

/** The client: walk from the peer back through `X-Forwarded-For`, right to left, while hops are trusted. */
function walk(peer: string, xff: string | undefined): string {
  const hops = [
    peer,
    ...(xff ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .reverse(),
  ];
  for (let i = 0; i < hops.length - 1; i++) if (!isTrusted(hops[i]!)) return hops[i]!;
  return hops[hops.length - 1]!;
}

describe('fuzz: forwarded headers and trusted proxies', () => {
  it(
    'never throws: a view or a 400 naming a header; readers fail only with ForwardedHeaderError',
    () => {
      let viewed = 0;
      let read = 0;
      fc.assert(
        fc.property(request, (r) => {
          const req = build(r);
          const view = readRequestView(req, trust);
          if (isRequestViewError(view)) {
            expect(['Host', 'X-Forwarded-Host', 'X-Forwarded-Proto', 'request target']).toContain(view.header);
            expect(view.message.startsWith(`${view.header}: `)).toBe(true);
            return;
          }
          viewed++;
          const params = readParams(splitTarget(r.url).query);
          if (typeof params === 'string') return;
          for (const [, endpoint] of readers) {
            try {
              const input = { method: r.method, target: r.url, params, headers: new ForwardedHeaders(req), view, cookie: cookiesOf(req) };
              const query = endpoint.read(input, endpoint.credentials(input));
              expect(query.ip).toBe(view.ip);
              query.cookie('gatehouse_session');
              read++;
            } catch (error) {
              if (!(error instanceof ForwardedHeaderError)) throw error;
              expect(error.message).toMatch(/^[A-Za-z-]+(?: \(path after \/api\/authz\/ext-authz\))?: |^\(path after/);
            }
          }
        }),
        fuzzParameters(3000),
      );
      expect(viewed).toBeGreaterThan(0);
      expect(read).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );

  it(
    "an untrusted peer's forwarding headers change nothing and cause no error",
    () => {
      fc.assert(
        fc.property(request, untrustedAddress, (r, peer) => {
          const untrusted = { ...r, peer };
          const stripped = untrusted.headers.filter(([name]) => !forwarding.includes(name.toLowerCase()));
          const view = readRequestView(build(untrusted), trust);
          expect(plain(view)).toEqual(plain(readRequestView(build(untrusted, stripped), trust)));
          if (!isRequestViewError(view)) {
            expect(view.trusted).toBe(false);
            expect(view.ip).toBe(canonicalIp(peer));
            expect(view.proto).toBe(r.encrypted ? 'https' : 'http');
            expect(view.forwardedHost).toBeUndefined();
            expect(view.authority).toBe(view.host);
          }
        }),
        fuzzParameters(3000),
      );
    },
    fuzzTimeout(),
  );

  it(
    'from a trusted peer, the client is X-Forwarded-For walked back over trusted hops',
    () => {
      const separator = fc.constantFrom(',', ', ', ' , ', ',\t');
      fc.assert(
        fc.property(trustedAddress, fc.array(fc.tuple(address, separator), { maxLength: 5 }), fc.boolean(), (peer, chain, twoLines) => {
          const xff = chain.map(([a, sep], i) => (i === 0 ? a : `${sep}${a}`)).join('');
          // A chain may also arrive as two header lines (Node joins them with ', ').
          const cut = xff.indexOf(',');
          const lines: [string, string][] =
            twoLines && cut > 0
              ? [
                  ['X-Forwarded-For', xff.slice(0, cut)],
                  ['x-forwarded-for', xff.slice(cut + 1)],
                ]
              : chain.length > 0
                ? [['X-Forwarded-For', xff]]
                : [];
          const req = incoming({ url: '/', headers: [['Host', 'app.example.com'], ...lines], remoteAddress: peer });
          const view = readRequestView(req, trust);
          if (isRequestViewError(view)) throw new Error(view.message);
          expect(view.trusted).toBe(true);
          expect(view.ip, `${peer} ← ${xff}`).toBe(canonicalIp(walk(peer, req.headers['x-forwarded-for'] as string | undefined)));
        }),
        fuzzParameters(3000),
      );
    },
    fuzzTimeout(),
  );

  it(
    'a client behind a trusted proxy cannot choose its address, proto or host by sending them first',
    () => {
      fc.assert(
        fc.property(
          untrustedAddress,
          fc.option(valueFor['x-forwarded-for']!, { nil: undefined }),
          fc.array(trustedAddress, { maxLength: 2 }),
          trustedAddress,
          (client, injected, proxiesBetween, peer) => {
            // The proxy appends the address it saw; proxies between it and Gatehouse append theirs.
            const chain = [...(injected === undefined || injected.trim() === '' ? [] : [injected]), client, ...proxiesBetween].join(', ');
            const req = incoming({
              url: '/api/authz/forward-auth',
              headers: [
                ['Host', 'auth.example.com'],
                ['X-Forwarded-For', chain],
                ['X-Forwarded-Proto', 'https'],
                ['X-Forwarded-Host', 'app.example.com'],
                ['Forwarded', `for=${client === '203.0.113.9' ? '198.51.100.7' : '203.0.113.9'};proto=http;host=evil.example`],
                ['X-Real-IP', '192.0.2.99'],
              ],
              remoteAddress: peer,
            });
            const view = readRequestView(req, trust);
            if (isRequestViewError(view)) throw new Error(view.message);
            expect(view.ip, chain).toBe(canonicalIp(client));
            expect(view.proto).toBe('https');
            expect(view.authority?.host).toBe('app.example.com');
          },
        ),
        fuzzParameters(3000),
      );
    },
    fuzzTimeout(),
  );

  it(
    'the listener answers every generated request, never with a 5xx, and refuses forwarding from untrusted peers',
    async () => {
      const config = configOf({
        server: { address: 'tcp://127.0.0.1:0', trusted_proxies: trustedCidrs },
        session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] },
        storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: '/nonexistent/db.sqlite3' } },
        access_control: { default_policy: 'deny', rules: [{ domain: '*.example.com', policy: 'one_factor' }] },
      });
      const probe = new ListenerProbe(config);
      probe.rules = compileRules({
        defaultPolicy: 'deny',
        rules: readRules([
          { domain: 'auth.example.com', policy: 'bypass' },
          { domain: '*.example.com', resources: ['^/admin'], policy: 'deny' },
          { domain: '*.example.com', policy: 'one_factor' },
        ]),
      });
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const got = await probe.send({ method: r.method, url: r.url, headers: r.headers, remoteAddress: r.peer });
          if (got.toFramework) return;
          statuses.set(got.status, (statuses.get(got.status) ?? 0) + 1);
          expect(got.status, JSON.stringify(r)).toBeGreaterThanOrEqual(200);
          expect(got.status, JSON.stringify(r)).toBeLessThan(500);
          // An untrusted peer at a forward-auth endpoint: refused before anything is decided.
          if (!trust(canonicalIp(r.peer), 0)) expect(got.decision, JSON.stringify(r)).toBeUndefined();
        }),
        fuzzParameters(2000),
      );
      expect([...statuses.keys()].some((s) => s === 200 || s === 302 || s === 401)).toBe(true);
    },
    fuzzTimeout(),
  );
});
