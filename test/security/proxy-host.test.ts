/**
 * Security finding 1 (critical): proxy mode decided on one host and routed to another. The raw
 * `Host` was cut at its last `:` to pick the upstream, and pasted into a URL whose parser read
 * userinfo, path, query and fragment out of it for the rules. Every such Host is now refused
 * (400) before routing or deciding; the property at the end asserts that, for any generated
 * Host, whatever upstream a request reaches is one the rules allowed for that same host.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuthzWorld, cookieHeader, loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import { rawExchange, startUpstream, type Upstream } from '../proxy/upstream.js';

const domain = 'example.localhost';
const sites = ['app', 'secure', 'deny', 'public'] as const;
type Site = (typeof sites)[number];

interface World extends AuthzWorld {
  readonly port: number;
  /** One recording upstream per site, so that "which upstream answered" is observable. */
  readonly upstreams: Record<Site, Upstream>;
  /** A one-factor session of john (group admins). */
  readonly cookie: string;
}

/** Proxy mode for app/secure/deny/public, each to its own upstream, reached by an untrusted client. */
async function startWorld(): Promise<World> {
  const upstreams = Object.fromEntries(await Promise.all(sites.map(async (s) => [s, await startUpstream()] as const))) as Record<Site, Upstream>;
  const world = await startAuthzGateway(
    {
      server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['10.99.0.0/16'] },
      proxy: { upstreams: sites.map((s) => ({ domain: `${s}.${domain}`, target: upstreams[s].url, timeout: '2s' })) },
    },
    domain,
    `http://auth.${domain}:9091`,
  );
  const cookie = cookieHeader(world, await loginFirstFactor(world, 'john', domain));
  return { ...world, port: Number(new URL(world.gateway.url).port), upstreams, cookie };
}

function seenBy(world: World): Record<Site, number> {
  return Object.fromEntries(sites.map((s) => [s, world.upstreams[s].seen.length])) as Record<Site, number>;
}

const none: Record<Site, number> = { app: 0, secure: 0, deny: 0, public: 0 };

function request(host: string, path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\n${extra}Connection: close\r\n\r\n`;
}

function status(reply: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
}

describe('proxy mode: one host decides and routes (finding 1)', () => {
  it('refuses the reproduced Host tricks with 400; no upstream sees them', async () => {
    const w = await startWorld();
    const attacks: [string, string, string][] = [
      // [Host, path, extra headers]: each reached a deny or two_factor upstream before the fix.
      [`deny.${domain}:@auth.${domain}`, '/', ''],
      [`app.${domain}:/public`, '/admin/users', ''],
      [`secure.${domain}:@app.${domain}`, '/', `Cookie: ${w.cookie}\r\n`],
      [`deny.${domain}:#`, '/', ''],
      [`deny.${domain}:?`, '/', ''],
      [`deny.${domain}:@public.${domain}`, '/', ''],
      [`deny.${domain}:80@public.${domain}`, '/', ''],
      [`deny.${domain}..`, '/', ''],
      [`deny.${domain}:8o`, '/', ''],
    ];
    for (const [host, path, extra] of attacks) {
      const reply = await rawExchange(w.port, request(host, path, extra));
      expect([host, status(reply)]).toEqual([host, 400]);
      expect(reply).toContain("Host: the host '");
    }
    expect(seenBy(w)).toEqual(none);
    expect(w.logs()).toContain('request refused: malformed host or forwarding header');
  });

  it('treats case, a trailing dot and a port as the same host for routing and rules alike', async () => {
    const w = await startWorld();
    for (const host of [`DENY.${domain}`, `deny.${domain}.`, `deny.${domain}:8443`, `Deny.Example.Localhost.:80`]) {
      expect([host, status(await rawExchange(w.port, request(host, '/')))]).toEqual([host, 403]);
    }
    expect(seenBy(w)).toEqual(none);
    for (const host of [`APP.${domain}.`, `app.${domain}:8443`]) {
      expect([host, status(await rawExchange(w.port, request(host, '/x', `Cookie: ${w.cookie}\r\n`)))]).toEqual([host, 200]);
    }
    // The upstream gets the host the rules judged, in canonical form.
    expect(w.upstreams.app.seen.map((s) => s.headers.host)).toEqual([`app.${domain}`, `app.${domain}:8443`]);
  });

  it('a one-factor session never reaches the two_factor upstream, whatever the Host spelling', async () => {
    const w = await startWorld();
    for (const host of [`secure.${domain}:@app.${domain}`, `app.${domain}@secure.${domain}`, `secure.${domain}#app.${domain}`, `secure.${domain}`]) {
      const code = status(await rawExchange(w.port, request(host, '/', `Cookie: ${w.cookie}\r\n`)));
      expect([host, code === 400 || code === 302]).toEqual([host, true]);
    }
    expect(w.upstreams.secure.seen).toEqual([]);
  });

  it('property: any request that reaches an upstream reaches the one whose host the rules allowed', async () => {
    const w = await startWorld();
    // Two site names joined by what URL parsers and `host:port` splitters read differently,
    // with more such pieces around: the shape of every reproduced bypass, and many more.
    const name = fc.constantFrom(...sites, 'auth', 'other').map((s) => `${s}.${domain}`);
    const joint = fc.constantFrom(
      '',
      ':',
      ':@',
      '@',
      ':80@',
      ':/',
      '/',
      ':#',
      '#',
      ':?',
      '?',
      '.',
      '..',
      ':80',
      ':8o',
      '%2e',
      '\\',
      ' ',
      '\t',
      ',',
      ';',
      '[',
      ']',
    );
    const host = fc
      .tuple(name, joint, fc.option(name, { nil: '' }), fc.array(joint, { maxLength: 2 }), fc.boolean())
      .map(([first, sep, second, tail, upper]) => {
        const text = first + sep + second + tail.join('');
        return upper ? text.toUpperCase() : text;
      });
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(host, fc.boolean(), async (h, withSession) => {
        const before = seenBy(w);
        const reply = await rawExchange(w.port, request(h, '/probe', withSession ? `Cookie: ${w.cookie}\r\n` : ''));
        const after = seenBy(w);
        const hit = sites.filter((s) => after[s] !== before[s]);
        if (hit.length === 0) return;
        reached++;
        // At most one upstream, only with a 200, and only one the rules allow for this client.
        expect(hit.length).toBe(1);
        expect(status(reply)).toBe(200);
        const site = hit[0]!;
        expect(withSession ? ['app', 'public'] : ['public']).toContain(site);
        // The host the upstream saw names that same site.
        const seen = w.upstreams[site].seen.at(-1)!;
        expect(String(seen.headers.host).split(':')[0]!.toLowerCase().replace(/\.$/, '')).toBe(`${site}.${domain}`);
      }),
      {
        numRuns: 1000,
        examples: [
          [`app.${domain}`, true],
          [`public.${domain}`, false],
          [`APP.${domain}.`, true],
          [`public.${domain}:80`, false],
          [`deny.${domain}:@public.${domain}`, false],
          [`secure.${domain}:@app.${domain}`, true],
        ],
      },
    );
    // The examples include allowed requests: the property did look at some that pass.
    expect(reached).toBeGreaterThan(0);
  });
});
