import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { durationBuckets } from '../../src/server/metrics.js';
import { Browser, portalHost, startProvider } from '../helpers/oidc.js';
import { startPortal } from '../helpers/portal.js';
import { client, configFor, codeFlow, tokenClients } from '../oidc/token-world.js';
import { freePort } from '../helpers/ports.js';

/** One sample of the exposition format: `name{a="x",b="y"} value`. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Parses Prometheus' text format 0.0.4: `# HELP` and `# TYPE` lines, then one sample per line.
 * Refuses what the format does not allow (a sample without a TYPE of its family, an unparsable
 * line), so that a malformed exposition fails the test rather than being skipped.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!sample) throw new Error(`not a line of the exposition format: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[name!] = value!;
    const name = sample[1]!;
    const family = [...types.keys()].find((f) => name === f || name === `${f}_bucket` || name === `${f}_sum` || name === `${f}_count`);
    if (family === undefined) throw new Error(`sample ${name} has no # TYPE line before it`);
    samples.push({ name, labels, value: Number(sample[3]) });
  }
  return { samples, types };
}

/** The value of the one sample named `name` whose labels include `labels` (0 when there is none). */
function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

/** GET over real HTTP (127.0.0.1), answer as text. */
function get(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject).end();
  });
}

async function scrape(url: string) {
  const answer = await get(url);
  expect(answer.status).toBe(200);
  expect(answer.type).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(answer.body);
}

/** A plain upstream for the proxy rows. */
async function upstream(): Promise<number> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

const metricsOn = { metrics: { enabled: true, address: 'tcp://127.0.0.1:0' } };

describe('Prometheus metrics on their own listener (telemetry.metrics)', () => {
  it('counts logins, forward-auth decisions, proxied requests and an OpenID Connect code flow, scraped over HTTP', async () => {
    const up = await upstream();
    const world = await startProvider(
      { clients: tokenClients(), claims_policies: { 'in-access-token': { access_token: ['groups'] } } },
      {
        config: {
          telemetry: metricsOn,
          access_control: {
            default_policy: 'deny',
            rules: [
              { domain: portalHost, policy: 'bypass' },
              { domain: ['app.gatehouse.localhost', 'up.gatehouse.localhost'], policy: 'one_factor' },
            ],
          },
          proxy: { upstreams: [{ domain: 'up.gatehouse.localhost', target: `http://127.0.0.1:${up}` }] },
        },
      },
    );
    const metricsUrl = world.gateway.metricsUrl!;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // Not the portal's port: a listener of its own.
    expect(new URL(metricsUrl).port).not.toBe(new URL(world.gateway.url).port);
    const before = (await scrape(metricsUrl)).samples;
    expect(sampleValue(before, 'gatehouse_authn', { method: '1fa' })).toBe(0);

    // Logins: one wrong password, one right.
    const browser = new Browser(world.fetch);
    expect((await browser.login('john', 'wrong')).status).toBe(401);
    expect((await browser.login('john', 'password')).status).toBe(200);
    // Forward-auth: allowed (one_factor, signed in), forbidden (default deny), and without a session (login).
    const ask = (host: string, cookie = browser.cookie) =>
      world.fetch(`${world.gateway.url}/api/authz/forward-auth`, {
        headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': '/', ...(cookie ? { cookie } : {}) },
      });
    expect((await ask('app.gatehouse.localhost')).status).toBe(200);
    expect((await ask('deny.gatehouse.localhost')).status).toBe(403);
    expect((await ask('app.gatehouse.localhost', '')).status).toBe(401);
    // The proxy: allowed through to the upstream, and sent to the portal without a session.
    const proxied = (cookie?: string) =>
      get(`${world.gateway.url}/`, { headers: { host: 'up.gatehouse.localhost', accept: 'text/html', ...(cookie ? { cookie } : {}) } });
    expect((await proxied(browser.cookie)).status).toBe(200);
    expect((await proxied()).status).toBe(302);
    // An authorization code flow, then the access token revoked.
    const config = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, config);
    await client.tokenRevocation(config, tokens.access_token);

    const { samples, types } = await scrape(metricsUrl);
    expect(types.get('gatehouse_authn')).toBe('counter');
    expect(types.get('gatehouse_request_duration')).toBe('histogram');
    expect(sampleValue(samples, 'gatehouse_authn', { method: '1fa', success: 'false', banned: 'false' })).toBe(1);
    // Two successful password logins: the test's and the code flow's.
    expect(sampleValue(samples, 'gatehouse_authn', { method: '1fa', success: 'true', banned: 'false' })).toBe(2);
    const authz = (endpoint: string, policy: string, outcome: string) => sampleValue(samples, 'gatehouse_authz', { endpoint, policy, outcome });
    expect(authz('forward-auth', 'one_factor', 'allow')).toBe(1);
    expect(authz('forward-auth', 'deny', 'forbidden')).toBe(1);
    expect(authz('forward-auth', 'one_factor', 'login')).toBe(1);
    expect(authz('proxy', 'one_factor', 'allow')).toBe(1);
    expect(authz('proxy', 'one_factor', 'login')).toBe(1);
    const requests = (group: string, code: string) => sampleValue(samples, 'gatehouse_request', { group, code });
    expect([requests('forward-auth', '200'), requests('forward-auth', '403'), requests('forward-auth', '401')]).toEqual([1, 1, 1]);
    expect([requests('proxy', '200'), requests('proxy', '302')]).toEqual([1, 1]);
    expect(requests('portal', '401')).toBe(1);
    expect(requests('portal', '200')).toBeGreaterThanOrEqual(2);
    expect(requests('oidc', '200')).toBeGreaterThanOrEqual(3); // discovery, token, revocation
    expect(sampleValue(samples, 'gatehouse_oidc_tokens_issued', { grant: 'authorization_code' })).toBe(1);
    expect(sampleValue(samples, 'gatehouse_oidc_tokens_revoked', { reason: 'revocation_endpoint' })).toBe(1);

    // The latency histograms: cumulative buckets ending in +Inf = _count, one per group that answered.
    for (const group of ['forward-auth', 'proxy', 'portal', 'oidc']) {
      const buckets = samples.filter((s) => s.name === 'gatehouse_request_duration_bucket' && s.labels.group === group);
      expect(buckets.map((b) => b.labels.le)).toEqual([...durationBuckets.map(String), '+Inf']);
      expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
      const count = sampleValue(samples, 'gatehouse_request_duration_count', { group });
      expect(buckets.at(-1)!.value).toBe(count);
      expect(count).toBe(samples.filter((s) => s.name === 'gatehouse_request' && s.labels.group === group).reduce((n, s) => n + s.value, 0));
      expect(sampleValue(samples, 'gatehouse_request_duration_sum', { group })).toBeGreaterThan(0);
    }
    // Node's default process metrics.
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(sampleValue(samples, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
  });

  it('serves only GET and HEAD at its path: 405 for another method, 404 elsewhere; the portal does not serve /metrics', async () => {
    const world = await startPortal({ telemetry: metricsOn });
    const url = world.gateway.metricsUrl!;
    expect((await get(url, { method: 'POST' })).status).toBe(405);
    const head = await get(url, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await get(url.replace('/metrics', '/'))).status).toBe(404);
    expect((await get(`${url}x`)).status).toBe(404);
    expect((await get(`${url}?name[]=process_cpu_user_seconds_total`)).status).toBe(200);
    expect((await get(`${world.gateway.url}/metrics`, { headers: { host: portalHost } })).status).toBe(404);
  });

  it('serves at the path given with the address', async () => {
    const world = await startPortal({ telemetry: { metrics: { enabled: true, address: 'tcp://127.0.0.1:0/custom/path' } } });
    expect(world.gateway.metricsUrl).toMatch(/\/custom\/path$/);
    expect((await get(world.gateway.metricsUrl!)).body).toContain('# TYPE gatehouse_authn counter');
    expect((await get(world.gateway.metricsUrl!.replace('/custom/path', '/metrics'))).status).toBe(404);
  });

  it('opens no listener when disabled, even with an address', async () => {
    const port = await freePort();
    const world = await startPortal({ telemetry: { metrics: { enabled: false, address: `tcp://127.0.0.1:${port}` } } });
    expect(world.gateway.metricsUrl).toBeUndefined();
    await expect(connectable(port)).resolves.toBe(false);
  });

  it('refuses to start when the metrics address is taken, naming the key', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    await expect(startPortal({ telemetry: { metrics: { enabled: true, address: `tcp://127.0.0.1:${port}` } } })).rejects.toThrow(
      new RegExp(`^telemetry\\.metrics\\.address: tcp://127\\.0\\.0\\.1:${port} cannot be listened on: .*\\(EADDRINUSE\\)$`),
    );
  });
});

function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    }).on('error', () => resolve(false));
  });
}
