/**
 * The host findings behind real fronts:
 * - finding 1 behind nginx with examples/nginx/proxy.conf (`proxy_set_header Host $http_host`):
 *   nginx passes `:#`, `:?` and `:@` Host forms on to Gatehouse's proxy mode, which refuses them;
 * - finding 6 behind Caddy: `forward_auth` keeps the client's Host, so a check for a site that is
 *   also a `proxy.upstreams` domain must be answered by Gatehouse, not proxied to the app.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import { rawExchange, startUpstream, type Upstream } from '../proxy/upstream.js';
import { nginxMain, requireBinary, startCaddy, startNginx } from './forward-auth/fronts.js';
import { domain, front } from './forward-auth/scenarios.js';
import { freePorts } from '../helpers/ports.js';

const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');
const sites = ['app', 'secure', 'deny', 'public'] as const;
type Site = (typeof sites)[number];

function status(reply: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
}

/** nginx in front of Gatehouse's own proxy mode: every site straight to Gatehouse through proxy.conf. */
function proxyModeBehindNginx(dir: string, p: { front: number; gatehouse: number }): string {
  return nginxMain(
    dir,
    p.gatehouse,
    `  server {
    listen 127.0.0.1:${p.front};
    server_name .${domain};
    location / {
      include ${dir}/proxy.conf;
      proxy_pass http://gatehouse;
    }
  }`,
  );
}

describe.runIf(requireBinary('nginx', ['-v']))('proxy mode behind nginx with examples/nginx/proxy.conf (finding 1)', () => {
  it('refuses the Host forms nginx passes through; no upstream sees them; good hosts still work', async () => {
    const upstreams = Object.fromEntries(await Promise.all(sites.map(async (s) => [s, await startUpstream()] as const))) as Record<Site, Upstream>;
    const [frontPort = 0, gatehousePort = 0] = await freePorts(2);
    const world = await startAuthzGateway(
      {
        // nginx on loopback is trusted (the default trusted_proxies): its X-Forwarded-* are believed.
        server: { address: `tcp://127.0.0.1:${gatehousePort}` },
        proxy: { upstreams: sites.map((s) => ({ domain: `${s}.${domain}`, target: upstreams[s].url, timeout: '2s' })) },
      },
      domain,
      `http://auth.${domain}:${frontPort}`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-proxy-'));
    await startNginx(dir, { front: frontPort, gatehouse: gatehousePort, upstream: 0 }, { 'proxy.conf': example('nginx/proxy.conf') }, proxyModeBehindNginx);
    const cookie = cookieHeader(world, await loginFirstFactor(world, 'john', domain));
    const ask = (host: string, path: string, extra = '') =>
      rawExchange(frontPort, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\n${extra}Connection: close\r\n\r\n`, 3000);

    const attacks: [string, string, string][] = [
      [`deny.${domain}:#`, '/', ''],
      [`deny.${domain}:?`, '/', ''],
      [`deny.${domain}:@auth.${domain}`, '/', ''],
      [`deny.${domain}:@public.${domain}`, '/', ''],
      [`app.${domain}:/public`, '/admin/users', ''],
      [`secure.${domain}:@app.${domain}`, '/', `Cookie: ${cookie}\r\n`],
      [`secure.${domain}:#@app.${domain}`, '/', `Cookie: ${cookie}\r\n`],
    ];
    const passedNginx: string[] = [];
    for (const [host, path, extra] of attacks) {
      const reply = await ask(host, path, extra);
      // nginx refuses some forms itself (400); the ones it passes on, Gatehouse refuses with its reason.
      expect([host, status(reply)]).toEqual([host, 400]);
      if (reply.includes("Host: the host '")) passedNginx.push(host);
    }
    // The `:#` and `:?` forms do reach Gatehouse through nginx (the finding's point).
    expect(passedNginx).toEqual(expect.arrayContaining([`deny.${domain}:#`, `deny.${domain}:?`]));
    for (const s of sites) expect([s, upstreams[s].seen.length]).toEqual([s, 0]);

    // The same front still serves well-formed requests, decided on the host that is routed.
    expect(status(await ask(`public.${domain}:${frontPort}`, '/open'))).toBe(200);
    expect(status(await ask(`deny.${domain}`, '/'))).toBe(403);
    expect(status(await ask(`app.${domain}`, '/x', `Cookie: ${cookie}\r\n`))).toBe(200);
    expect(upstreams.public.seen.map((s) => s.url)).toEqual(['/open']);
    expect(upstreams.app.seen.map((s) => [s.url, s.headers['remote-user']])).toEqual([['/x', 'john']]);
    expect(upstreams.deny.seen).toEqual([]);
  });
});

describe.runIf(requireBinary('caddy', ['version']))('Caddy forward_auth for a site that is also a proxy upstream (finding 6)', () => {
  it('answers the check itself (not proxied to the app) and keeps both ways of reaching the site working', async () => {
    const app = await startUpstream();
    const [frontPort = 0, gatehousePort = 0] = await freePorts(2);
    const world = await startAuthzGateway(
      {
        server: { address: `tcp://127.0.0.1:${gatehousePort}` },
        proxy: { upstreams: [{ domain: `app.${domain}`, target: app.url, timeout: '2s' }] },
      },
      domain,
      `http://auth.${domain}:${frontPort}`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-caddy-both-'));
    await startCaddy(dir, { front: frontPort, gatehouse: gatehousePort, upstream: app.port }, example('caddy/site.caddy'));

    // Through Caddy: anonymous → the portal, and the app is not reached (the check was answered, not proxied).
    const anonymous = await front(frontPort, `app.${domain}`, '/private');
    expect([anonymous.status, anonymous.headers.location]).toEqual([
      302,
      `http://auth.${domain}:${frontPort}/?rd=${encodeURIComponent(`http://app.${domain}:${frontPort}/private`)}&rm=GET`,
    ]);
    expect(app.seen).toEqual([]);
    // Logged in → the app, with the identity Gatehouse gave Caddy.
    const cookie = cookieHeader(world, await loginFirstFactor(world, 'john', domain));
    const allowed = await front(frontPort, `app.${domain}`, '/hello', { headers: { cookie } });
    expect(allowed.status).toBe(200);
    expect(app.seen.map((s) => [s.url, s.headers['remote-user']])).toEqual([['/hello', 'john']]);

    // Straight to Gatehouse's proxy mode, the same site is proxied as before.
    expect((await front(gatehousePort, `app.${domain}`, '/direct')).status).toBe(302);
    expect((await front(gatehousePort, `app.${domain}`, '/direct', { headers: { cookie } })).status).toBe(200);
    expect(app.seen.map((s) => s.url)).toEqual(['/hello', '/direct']);
  });
});
