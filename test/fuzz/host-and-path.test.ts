/**
 * Fuzzer: the host and path normalisers never give a request a weaker policy than the request it
 * may be read as. A generated rule set (exact, wildcard and regex domains, resources, mixed
 * policies) decides a canonical request and another spelling of it (spellings.ts: host case,
 * trailing dots, ports, escapes, dot segments, duplicate slashes, encoded slashes and backslashes,
 * Unicode, path parameters, fragments, a second host behind `:@`…); the spelling must get a policy
 * at least as strict (bypass < one_factor < two_factor < deny < refused), and when it is decided at
 * all, it must be decided on the canonical host and resource.
 *
 * Every way a request reaches the rules is fuzzed through the functions it really goes through:
 * `parseTarget` (rules test/explain), and the gateway's own listener in-process (probe.ts) for the
 * four forward-auth flavours from a trusted proxy and the built-in proxy from a client. Fewer
 * cases then go end to end through a started gateway: forward-auth from a trusted proxy, and the
 * built-in proxy over TCP, with and without a session, judged by the answer's status.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { compileRules, isRefusal, parseTarget, type Policy, type RuleSet, anonymousSubject } from '../../src/rules/index.js';
import { configOf } from '../helpers/config.js';
import { injectListener } from '../helpers/gateway.js';
import { type AuthzWorld, cookieHeader, loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import { rawExchange, startUpstream } from '../proxy/upstream.js';
import { readRules } from '../rules/fixtures.js';
import { ListenerProbe, type Probed } from './probe.js';
import { fuzzParameters, fuzzTimeout } from './runs.js';
import { allHostNames, baseDomain, type Case, hostName, requestCase, targetOf } from './spellings.js';

/** Strictness: a refusal (400, a refused target, no decision) is the strictest answer. */
const rank: Record<Policy | 'refused', number> = { bypass: 0, one_factor: 1, two_factor: 2, deny: 3, refused: 4 };

const policy = fc.constantFrom<Policy>('bypass', 'one_factor', 'two_factor', 'deny');
const domainEntry = fc.oneof(
  { arbitrary: hostName, weight: 4 },
  { arbitrary: fc.constantFrom(`*.${baseDomain}`, `*.app.${baseDomain}`, `*.admin.${baseDomain}`, 'ADMIN.Example.com.', `bücher.${baseDomain}`), weight: 2 },
);
const domainRegex = fc.constantFrom(
  '^admin\\.',
  '^(app|api)\\.example\\.com$',
  '\\.example\\.com$',
  '(?i)^ADMIN\\.EXAMPLE\\.COM$',
  '^a\\.app\\.',
  '^[^.]+\\.example\\.com$',
  'xn--',
  '^(?:www\\.)?example\\.com$',
);
const resource = fc.constantFrom(
  '^/admin',
  '^/admin$',
  '^/admin/',
  '^/admin([/?].*)?$',
  '(?i)^/admin',
  '^/api/v1/users$',
  '\\.php$',
  '^/caf%C3%A9',
  '^/public',
  '^/public/?$',
  '/secret',
  '^/[a-z]+/secret$',
  '^/x%20y$',
  '^/$',
  '\\?debug=true',
  '^/a/b$',
  '%3B',
  '%23',
  '\\.css$',
  '^/[^/]*$',
  '^/a/b/?$',
  '^/~me',
  '^/\\.well-known/',
  'redirect=/admin',
  '^/[^?]*$',
);

/** Rules as written in YAML, each with a domain or a domain regex. */
const rawRule = fc
  .record(
    {
      domain: fc.array(domainEntry, { minLength: 1, maxLength: 2 }),
      domain_regex: fc.array(domainRegex, { minLength: 1, maxLength: 2 }),
      resources: fc.array(resource, { minLength: 1, maxLength: 3 }),
      policy,
    },
    { requiredKeys: ['policy'] },
  )
  .map((r) => (r.domain === undefined && r.domain_regex === undefined ? { ...r, domain: [`*.${baseDomain}`] } : r));

const ruleList = fc.record({ defaultPolicy: policy, rules: fc.array(rawRule, { minLength: 1, maxLength: 8 }) });

function compile({ defaultPolicy, rules }: { defaultPolicy: Policy; rules: readonly unknown[] }): RuleSet {
  return compileRules({ defaultPolicy, rules: readRules(rules) });
}

type Flavour = 'rules' | 'forward-auth' | 'auth-request' | 'ext-authz' | 'legacy' | 'proxy';
const flavours: readonly Flavour[] = ['rules', 'forward-auth', 'auth-request', 'ext-authz', 'legacy', 'proxy'];

/** The flavours that read the host from a whole URL (`X-Original-URL`, a rule test's URL). */
const urlFlavours: readonly Flavour[] = ['rules', 'auth-request'];

const proxyPeer = '127.0.0.1';
const clientPeer = '203.0.113.9';

/** A gateway for example.com: forward-auth from loopback, and every generated host proxied. */
function probeConfig(): Config {
  return configOf({
    server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['127.0.0.0/8'] },
    session: { cookies: [{ domain: baseDomain, portal_url: `https://auth.${baseDomain}` }] },
    storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: '/nonexistent/db.sqlite3' } },
    access_control: { default_policy: 'deny', rules: [{ domain: `*.${baseDomain}`, policy: 'deny' }] },
    proxy: { upstreams: allHostNames().map((domain) => ({ domain, target: 'http://192.0.2.1:9' })) },
  });
}

interface Decided {
  readonly rank: number;
  readonly domain?: string;
  readonly resource?: string;
  readonly status: number;
}

function decided(probed: Pick<Probed, 'decision' | 'target' | 'status'>): Decided {
  const { decision, target, status } = probed;
  if (decision === undefined || target === undefined) return { rank: rank.refused, status };
  return { rank: rank[decision.policy], domain: target.domain, resource: target.resource, status };
}

/** Asks `flavour` about `scheme://host target` the way its proxy (or client) sends it. */
async function ask(probe: ListenerProbe, rules: RuleSet, flavour: Flavour, scheme: string, host: string, target: string): Promise<Decided> {
  probe.rules = rules;
  const trusted = { remoteAddress: proxyPeer };
  const portal = ['Host', `auth.${baseDomain}`] as const;
  switch (flavour) {
    case 'rules': {
      const parsed = parseTarget(`${scheme}://${host}${target}`, 'GET');
      if (isRefusal(parsed)) return { rank: rank.refused, status: 0 };
      return decided({ decision: rules.decide(anonymousSubject(), parsed), target: parsed, status: 0 });
    }
    case 'forward-auth':
      return decided(
        await probe.send({
          url: '/api/authz/forward-auth',
          headers: [portal, ['X-Forwarded-Method', 'GET'], ['X-Forwarded-Proto', scheme], ['X-Forwarded-Host', host], ['X-Forwarded-URI', target]],
          ...trusted,
        }),
      );
    case 'auth-request':
      return decided(
        await probe.send({
          url: '/api/authz/auth-request',
          headers: [portal, ['X-Original-Method', 'GET'], ['X-Original-URL', `${scheme}://${host}${target}`]],
          ...trusted,
        }),
      );
    case 'ext-authz':
      return decided(
        await probe.send({
          url: `/api/authz/ext-authz${target}`,
          headers: [
            ['Host', host],
            ['X-Forwarded-Proto', scheme],
          ],
          ...trusted,
        }),
      );
    case 'legacy':
      return decided(
        await probe.send({
          url: '/api/verify',
          headers: [portal, ['X-Forwarded-Method', 'GET'], ['X-Forwarded-Proto', scheme], ['X-Forwarded-Host', host], ['X-Forwarded-URI', target]],
          ...trusted,
        }),
      );
    case 'proxy':
      // A client straight to the built-in proxy: the scheme is the listener's (https), the Host the client's.
      return decided(
        await probe.send({
          url: target,
          headers: [
            ['Host', host],
            ['Accept', 'text/html'],
          ],
          remoteAddress: clientPeer,
        }),
      );
  }
}

/** What each flavour decided for spellings, to show the property was not vacuous. */
type Tally = Record<Flavour, { decided: number; refused: number }>;

function emptyTally(): Tally {
  return Object.fromEntries(flavours.map((f) => [f, { decided: 0, refused: 0 }])) as Tally;
}

/** The property for one case, through one flavour. */
async function check(probe: ListenerProbe, rules: RuleSet, flavour: Flavour, { canonical, spelled }: Case, tally: Tally): Promise<void> {
  const canonicalTarget = targetOf(canonical);
  // In a URL, `/ ? #` end the authority: what follows is path, query or fragment, not a host.
  if (urlFlavours.includes(flavour) && /[/?#]/.test(spelled.host)) return;
  const base = await ask(probe, rules, flavour, 'https', canonical.host, canonicalTarget);
  // The canonical request is always decided (else the property below would hold vacuously).
  expect(base.rank, `${flavour}: the canonical request ${canonical.host}${canonicalTarget} was refused (${base.status})`).toBeLessThan(rank.refused);
  let floor = base.rank;
  for (const other of spelled.otherHosts) floor = Math.max(floor, (await ask(probe, rules, flavour, 'https', other, canonicalTarget)).rank);
  const got = await ask(probe, rules, flavour, spelled.scheme, spelled.host, spelled.target);
  const shown = `${flavour}: '${spelled.host}' '${spelled.target}' (${spelled.tricks.join(', ')})`;
  expect(got.rank, `${shown} is weaker than ${canonical.host}${canonicalTarget}`).toBeGreaterThanOrEqual(floor);
  if (got.rank === rank.refused) {
    tally[flavour].refused++;
    return;
  }
  tally[flavour].decided++;
  // Decided at all: on the canonical host and resource, whatever the spelling.
  expect({ domain: got.domain, resource: got.resource }, shown).toEqual({ domain: base.domain, resource: base.resource });
}

describe('fuzz: host and path spellings never get a weaker policy than their canonical form', () => {
  it(
    'through parseTarget and, in-process, the listener for forward-auth, auth-request, ext-authz, legacy and the proxy',
    async () => {
      const probe = new ListenerProbe(probeConfig());
      const tally = emptyTally();
      await fc.assert(
        fc.asyncProperty(ruleList, requestCase({ rawUnsafe: true, joints: true, fragments: true }), fc.constantFrom(...flavours), async (list, c, flavour) => {
          await check(probe, compile(list), flavour, c, tally);
        }),
        fuzzParameters(3000),
      );
      // Every flavour decided some spellings (they were not all refused) and refused some.
      for (const flavour of flavours) {
        expect(tally[flavour].decided, `${flavour} decided no spelling`).toBeGreaterThan(0);
        expect(tally[flavour].refused, `${flavour} refused no spelling`).toBeGreaterThan(0);
      }
    },
    fuzzTimeout(),
  );
});

/** Fixed rules for the end-to-end runs, for the hosts under `d` (resources, regexes and wildcards mixed). */
function e2eRules(d: string): Record<string, unknown> {
  const dots = d.replace(/\./g, '\\.');
  return {
    default_policy: 'deny',
    rules: [
      { domain: `auth.${d}`, policy: 'bypass' },
      { domain: [`admin.${d}`, `*.admin.${d}`], policy: 'two_factor' },
      { domain_regex: `^(app|api)\\.${dots}$`, resources: ['^/admin', '(?i)^/secret'], policy: 'deny' },
      { domain: `*.${d}`, resources: ['^/admin$', '^/secret/?$'], policy: 'deny' },
      { domain: `app.${d}`, resources: ['\\.css$', '^/public/?$', '^/~me'], policy: 'bypass' },
      { domain: `*.${d}`, resources: ['^/api/v1/users$', '^/caf%C3%A9'], policy: 'two_factor' },
      { domain: `app.${d}`, policy: 'one_factor' },
      { domain: `public.${d}`, resources: ['^/a/b/?$', '%3B'], policy: 'deny' },
      { domain: [`public.${d}`, `www.${d}`, d], policy: 'bypass' },
      { domain: `*.${d}`, resources: ['^/[^/]*$'], policy: 'one_factor' },
      { domain: `secure.${d}`, policy: 'two_factor' },
    ],
  };
}

/**
 * Cases every end-to-end run tries first (fast-check `examples`): a fragment that hid `/admin`
 * from `^/admin$` (fixed: a '#' is refused), and a Host naming two sites.
 */
function knownCases(d: string): [Case, boolean][] {
  const at = (host: string, path: string, spelledHost: string, target: string, tricks: string[], otherHosts: string[] = []): Case => ({
    canonical: { host, path, query: '' },
    spelled: { host: spelledHost, target, scheme: 'https', otherHosts, ambiguous: false, tricks },
  });
  return [
    [at(`www.${d}`, '/admin', `www.${d}`, '/admin#x', ['fragment']), false],
    [at(`app.${d}`, '/', `app.${d}`, '/#/../public', ['fragment']), false],
    [at(`secure.${d}`, '/', `secure.${d}:@app.${d}`, '/', ['joint :@'], [`app.${d}`]), true],
  ];
}

/** Strictness of an answer: through, sent to log in, refused. Anything else (5xx, no answer) is a failure. */
function strictness(status: number, what: string): number {
  if (status === 200) return 0;
  if (status === 302 || status === 303 || status === 401) return 1;
  if (status === 403 || status === 400) return 2;
  throw new Error(`${what}: unexpected status ${status}`);
}

describe('fuzz, end to end: host and path spellings through a started gateway', () => {
  it(
    'forward-auth from a trusted proxy (X-Forwarded-Proto/Host/URI), anonymous and with a one-factor session',
    async () => {
      const w: AuthzWorld = await startAuthzGateway({ access_control: e2eRules(baseDomain) });
      const session = cookieHeader(w, await loginFirstFactor(w, 'john'));
      const status = async (scheme: string, host: string, uri: string, cookie: boolean) =>
        (
          await injectListener(w.gateway, {
            method: 'GET',
            url: '/api/authz/forward-auth',
            headers: {
              accept: 'text/html',
              'x-forwarded-method': 'GET',
              'x-forwarded-proto': scheme,
              'x-forwarded-host': host,
              'x-forwarded-uri': uri,
              ...(cookie ? { cookie: session } : {}),
            },
            remoteAddress: '127.0.0.1',
          })
        ).statusCode;
      let passed = 0;
      await fc.assert(
        fc.asyncProperty(requestCase({ rawUnsafe: false, joints: true, fragments: true }), fc.boolean(), async ({ canonical, spelled }, cookie) => {
          const target = targetOf(canonical);
          const base = await status('https', canonical.host, target, cookie);
          expect(base, `canonical ${canonical.host}${target}`).not.toBe(400);
          let floor = strictness(base, 'canonical');
          for (const other of spelled.otherHosts) floor = Math.max(floor, strictness(await status('https', other, target, cookie), other));
          const got = await status(spelled.scheme, spelled.host, spelled.target, cookie);
          const shown = `'${spelled.host}' '${spelled.target}' (${spelled.tricks.join(', ')}) ${cookie ? 'with' : 'without'} a session`;
          expect(strictness(got, shown), `${shown}: ${got} where ${canonical.host}${target} is ${base}`).toBeGreaterThanOrEqual(floor);
          if (got === 200 || base === 200) passed++;
        }),
        fuzzParameters(300, 0.01, { examples: knownCases(baseDomain) }),
      );
      // Not vacuous: the world lets requests through (a random draw of 300 spellings may hold no
      // spelling that passes, as one CI run showed; canonical requests to bypass and one-factor sites do).
      expect(passed, 'no request was let through at all').toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );

  it(
    'the built-in proxy over TCP (raw request line and Host), anonymous and with a one-factor session',
    async () => {
      const d = 'example.localhost';
      const upstream = await startUpstream();
      const w = await startAuthzGateway(
        {
          server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['10.99.0.0/16'] },
          access_control: e2eRules(d),
          proxy: { upstreams: allHostNames(d).map((domain) => ({ domain, target: upstream.url, timeout: '2s' })) },
        },
        d,
        `http://auth.${d}:9091`,
      );
      const port = Number(new URL(w.gateway.url).port);
      const session = cookieHeader(w, await loginFirstFactor(w, 'john', d));
      const status = async (host: string, target: string, cookie: boolean) => {
        const before = upstream.seen.length;
        const reply = await rawExchange(
          port,
          `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\n${cookie ? `Cookie: ${session}\r\n` : ''}Connection: close\r\n\r\n`,
        );
        const code = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
        // Through means the upstream got it; a refusal means it did not.
        expect(upstream.seen.length - before, `${host} ${target}: ${code}`).toBe(code === 200 ? 1 : 0);
        return code;
      };
      let passed = 0;
      await fc.assert(
        fc.asyncProperty(requestCase({ rawUnsafe: false, joints: true, fragments: true, domain: d }), fc.boolean(), async ({ canonical, spelled }, cookie) => {
          const target = targetOf(canonical);
          const base = await status(canonical.host, target, cookie);
          expect(base, `canonical ${canonical.host}${target}`).not.toBe(400);
          let floor = strictness(base, 'canonical');
          for (const other of spelled.otherHosts) floor = Math.max(floor, strictness(await status(other, target, cookie), other));
          const got = await status(spelled.host, spelled.target, cookie);
          const shown = `'${spelled.host}' '${spelled.target}' (${spelled.tricks.join(', ')}) ${cookie ? 'with' : 'without'} a session`;
          expect(strictness(got, shown), `${shown}: ${got} where ${canonical.host}${target} is ${base}`).toBeGreaterThanOrEqual(floor);
          if (got === 200 || base === 200) passed++;
        }),
        fuzzParameters(200, 0.005, { examples: knownCases(d) }),
      );
      // Not vacuous: the proxy lets requests through. Spelled variants alone pass rarely (1 to 4 of
      // 200 draws here; two runs had none), canonical requests to bypass and one-factor sites do.
      expect(passed, 'no request was let through at all').toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );
});
