/**
 * Attack class 5: host tricks. The default policy here is `bypass`, so a host spelling that
 * missed its rule would be let through: every spelling of a denied host (case, trailing dot,
 * port, punycode, userinfo, look-alike characters, an absolute-form target naming another host)
 * must be denied (403) or refused as malformed (400) at every forward-auth flavour and in proxy
 * mode, over raw sockets so that the bytes arrive as written.
 */
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../proxy/upstream.js';
import { sharedWorld, type World } from './world.js';

const status = (reply: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);

/** Rules where falling through means `bypass`; `dény` is written in Unicode (stored as punycode). */
function lenientRules(domain: string) {
  return {
    default_policy: 'bypass',
    rules: [
      { domain: `deny.${domain}`, policy: 'deny' },
      { domain: `*.internal.${domain}`, policy: 'deny' },
      { domain: `dény.${domain}`, policy: 'deny' },
      { domain: `{user}.users.${domain}`, policy: 'one_factor' },
      { domain: `*.users.${domain}`, policy: 'deny' },
    ],
  };
}

/** Spellings of a host that the `deny` rules must still decide; `$` is the cookie domain. */
const spellings: [string, string][] = [
  ['upper case (CVE-2026-48794)', 'DENY.$'],
  ['mixed case', 'DeNy.$'],
  ['upper-case domain', 'deny.$UPPER'],
  ['trailing dot', 'deny.$.'],
  ['trailing dot and port', 'deny.$.:8443'],
  ['a port', 'deny.$:8443'],
  ['port 443', 'deny.$:443'],
  ['an empty port', 'deny.$:'],
  ['a port with leading zeros', 'deny.$:0443'],
  ['a wildcard rule, upper case', 'X.INTERNAL.$'],
  ['a wildcard rule, deeper', 'a.b.internal.$'],
  ['a wildcard rule, trailing dot', 'x.internal.$.'],
  ['the IDN rule by its punycode', 'xn--dny-bma.$'],
  ['the IDN rule by its punycode, upper case', 'XN--DNY-BMA.$'],
  ['another user’s {user} site, upper case', 'ALICE.users.$'],
  ['another user’s {user} site, trailing dot', 'alice.users.$.'],
];

/** Spellings that must be refused as malformed whatever the rules say. */
const malformed: [string, string][] = [
  ['two trailing dots', 'deny.$..'],
  ['an empty label', 'deny..$'],
  ['a leading dot', '.deny.$'],
  ['userinfo pointing at a bypass site', 'deny.$@public.$'],
  ['userinfo with a colon', 'deny.$:@public.$'],
  ['a user name before the host', 'evil@deny.$'],
  ['a port above 65535', 'deny.$:65536'],
  ['a non-numeric port', 'deny.$:8o'],
  ['a signed port', 'deny.$:+443'],
  ['two ports', 'deny.$:443:443'],
  ['a space inside', 'deny .$'],
  ['a tab inside', 'deny\t.$'],
  ['a percent-encoded dot', 'deny%2e$'],
  ['raw UTF-8 (the IDN in Unicode)', 'dény.$'],
  ['a Cyrillic look-alike', 'dеny.$'],
  ['an ideographic full stop', 'deny\u3002$'],
  ['a fullwidth full stop', 'deny\uff0e$'],
  ['a backslash', 'public.$\\deny.$'],
  ['a path in the host', 'public.$/deny'],
  ['a fragment in the host', 'deny.$#public.$'],
  ['a comma list', 'public.$,deny.$'],
  ['a numeric last label', 'deny.$.0x1'],
];

const spell = (template: string, domain: string) => template.replace('$UPPER', domain.toUpperCase()).replace(/\$/g, domain);

type Flavour = 'forward-auth' | 'auth-request' | 'ext-authz';

/** One forward-auth question over a socket with `host` as the flavour carries it. */
function question(flavour: Flavour, host: string, cookie?: string): string {
  const common = ['Accept: text/html', ...(cookie ? [`Cookie: ${cookie}`] : []), 'Connection: close', '', ''];
  switch (flavour) {
    case 'forward-auth':
      return [
        'GET /api/authz/forward-auth HTTP/1.1',
        'Host: gatehouse.internal',
        'X-Forwarded-Method: GET',
        'X-Forwarded-Proto: https',
        `X-Forwarded-Host: ${host}`,
        'X-Forwarded-Uri: /',
        ...common,
      ].join('\r\n');
    case 'auth-request':
      return ['GET /api/authz/auth-request HTTP/1.1', 'Host: gatehouse.internal', 'X-Original-Method: GET', `X-Original-URL: https://${host}/`, ...common].join(
        '\r\n',
      );
    case 'ext-authz':
      return ['GET /api/authz/ext-authz/ HTTP/1.1', `Host: ${host}`, 'X-Forwarded-Proto: https', ...common].join('\r\n');
  }
}

describe('host tricks at forward-auth: GHSA-j748-h363-wqj8 (CVE-2026-48794), CVE-2024-52289, CVE-2026-41569, Traefik PR #2132; ASVS 4.1.1, 4.1.5', () => {
  const domain = 'example.com';
  const world = sharedWorld({ domain, rules: lenientRules(domain), users: { bob: { password: 'bob-password', groups: [] } } });
  const flavours: Flavour[] = ['forward-auth', 'auth-request', 'ext-authz'];
  const ask = async (w: World, flavour: Flavour, host: string, cookie?: string) => status(await rawExchange(w.port, question(flavour, host, cookie)));

  it.each(flavours)('%s controls: public is bypassed, deny is denied, bob reaches his {user} site and not another', async (flavour) => {
    const w = world();
    const bob = await w.cookieOf('bob');
    expect(await ask(w, flavour, `public.${domain}`)).toBe(200);
    expect(await ask(w, flavour, `deny.${domain}`)).toBe(403);
    expect(await ask(w, flavour, `bob.users.${domain}`, bob)).toBe(200);
    expect(await ask(w, flavour, `alice.users.${domain}`, bob)).toBe(403);
  });

  describe.each(flavours)('%s', (flavour) => {
    it.each(spellings)('%s (%s): still denied', async (_name, template) => {
      const w = world();
      const host = spell(template, domain);
      // A signed-in bob, so that a {user} rule for someone else is what decides.
      expect([host, await ask(w, flavour, host, await w.cookieOf('bob'))]).toEqual([host, 403]);
    });

    // In X-Original-URL, `/` and `#` end the host (URL syntax): those are not host tricks there.
    it.each(malformed.filter(([, t]) => flavour !== 'auth-request' || !/[/#]/.test(t)))('%s (%s): refused as malformed', async (_name, template) => {
      const w = world();
      const host = spell(template, domain);
      const code = await ask(w, flavour, host);
      // 400 from Gatehouse, or from Node's parser for bytes no header may hold.
      expect([host, code]).toEqual([host, 400]);
    });
  });

  it('an absolute-form request target must name the Host it comes with (the listener refuses, 400)', async () => {
    const w = world();
    for (const [target, host] of [
      [`http://deny.${domain}/`, `public.${domain}`],
      [`http://public.${domain}@deny.${domain}/`, `public.${domain}`],
      [`http://gatehouse.internal/api/authz/forward-auth`, 'gatehouse.other'],
      [`http://auth.${domain}/`, `deny.${domain}`],
    ]) {
      const reply = await rawExchange(w.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n`);
      expect([target, host, status(reply)]).toEqual([target, host, 400]);
    }
    // Agreeing ones are served as the origin-form request would be.
    const agreeing = await rawExchange(w.port, `GET http://auth.${domain}/api/health HTTP/1.1\r\nHost: auth.${domain}\r\nConnection: close\r\n\r\n`);
    expect(status(agreeing)).toBe(200);
  });
});

describe('host tricks in proxy mode: the Host that routes is the Host the rules judge (security finding 1, CVE-2023-33189 class)', () => {
  const domain = 'gatehouse.localhost';
  // One upstream per denied site: reaching any of them is the bypass.
  const world = sharedWorld({
    domain,
    rules: lenientRules(domain),
    upstreams: ['deny', 'public', 'x.internal', 'dény', 'alice.users', 'bob.users'],
    users: { bob: { password: 'bob-password', groups: [] } },
  });
  const denied = ['deny', 'x.internal', 'dény', 'alice.users'];
  const reached = (w: World) => denied.reduce((n, name) => n + w.upstreams[name]!.seen.length, 0);
  const get = async (w: World, host: string, cookie?: string) =>
    status(await rawExchange(w.port, `GET / HTTP/1.1\r\nHost: ${host}\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}Connection: close\r\n\r\n`));

  it('controls: public is proxied, deny is not, bob reaches his own {user} site', async () => {
    const w = world();
    expect(await get(w, `public.${domain}`)).toBe(200);
    expect(await get(w, `bob.users.${domain}`, await w.cookieOf('bob'))).toBe(200);
    expect(await get(w, `deny.${domain}`)).toBe(403);
    expect(w.upstreams.public!.seen).toHaveLength(1);
    expect(reached(w)).toBe(0);
  });

  it.each([...spellings, ...malformed].filter(([, t]) => !t.startsWith('X.INTERNAL') && !t.startsWith('a.b.')))(
    '%s (%s): no denied upstream is reached',
    async (_name, template) => {
      const w = world();
      const host = spell(template, domain);
      const code = await get(w, host, await w.cookieOf('bob'));
      expect([host, [400, 403].includes(code)]).toEqual([host, true]);
      expect(reached(w)).toBe(0);
    },
  );

  it('absolute-form targets are refused (400) whatever they name; no upstream sees them', async () => {
    const w = world();
    for (const [target, host] of [
      [`http://deny.${domain}/`, `public.${domain}`],
      [`http://public.${domain}/`, `public.${domain}`],
      [`http://public.${domain}@deny.${domain}/`, `public.${domain}`],
    ]) {
      const reply = await rawExchange(w.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect([target, status(reply)]).toEqual([target, 400]);
    }
    expect(reached(w)).toBe(0);
  });
});
