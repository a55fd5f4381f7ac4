/**
 * Attack class 2: forwarded-header spoofing. `X-Forwarded-For/-Host/-Proto/-Uri/-Method`,
 * `X-Original-URL`/`-Method`, `X-Real-IP` and `Forwarded` are believed from `server.trusted_proxies`
 * only. Each spoof is sent by an untrusted peer and must change nothing it could gain from —
 * the decision, the client IP seen by `networks` rules and regulation, the scheme, the host —
 * and the same header from a trusted peer is the control that shows the header matters.
 */
import { describe, expect, it } from 'vitest';
import { sendHttp, sharedWorld } from './world.js';

const untrusted = '203.0.113.9';
const localhost = 'gatehouse.localhost';
const oneClient = { client_id: 'app', public: true, authorization_policy: 'one_factor', redirect_uris: [`http://app.${localhost}/cb`] };

describe('forward-auth endpoints: GHSA-7x63-xv5r-3p2x (CVE-2026-40575), CVE-2023-36456, Traefik PR #2132; ASVS 4.1.2', () => {
  const world = sharedWorld({ domain: 'example.com' });
  const question = {
    'x-forwarded-method': 'GET',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'public.example.com',
    'x-forwarded-uri': '/',
    accept: 'text/html',
  };

  const cases: [string, string, Record<string, string>][] = [
    ['X-Forwarded-Host/-Proto/-Uri/-Method', '/api/authz/forward-auth', question],
    ['X-Original-URL', '/api/authz/auth-request', { 'x-original-url': 'https://public.example.com/', 'x-original-method': 'GET', accept: 'text/html' }],
    ['Host + X-Forwarded-Proto (Envoy)', '/api/authz/ext-authz/', { host: 'public.example.com', 'x-forwarded-proto': 'https', accept: 'text/html' }],
    ['X-Original-URL (legacy /api/verify)', '/api/verify', { 'x-original-url': 'https://public.example.com/', accept: 'text/html' }],
    ['X-Forwarded-* (legacy /api/verify)', '/api/verify', question],
  ];

  it.each(cases)('%s from an untrusted peer: refused, never decided on', async (_name, url, headers) => {
    const spoofed = await world().inject({ method: 'GET', url, headers, remoteAddress: untrusted });
    // 400 (legacy endpoint: 401, as Authelia answers every malformed request there); no identity, no 200.
    expect([spoofed.statusCode, spoofed.headers['remote-user']]).toEqual([url === '/api/verify' ? 401 : 400, undefined]);
    const trusted = await world().inject({ method: 'GET', url, headers, remoteAddress: '127.0.0.1' });
    expect(trusted.statusCode).toBe(200);
  });

  it('logs why: the peer is not a trusted proxy', () => {
    expect(world().logs()).toContain(`the peer ${untrusted} is not in server.trusted_proxies`);
  });

  it('an unparsable X-Forwarded-For from a trusted proxy does not skip a check (CVE-2024-47070)', async () => {
    for (const xff of ['a', 'garbage, 192.0.2.1', '192.0.2.1, ::ffff:zz', '', ',', '\u00ff']) {
      const reply = await world().inject({
        method: 'GET',
        url: '/api/authz/forward-auth',
        headers: { ...question, 'x-forwarded-host': 'app.example.com', 'x-forwarded-for': xff },
      });
      expect([xff, reply.statusCode, reply.headers['remote-user']]).toEqual([xff, 302, undefined]);
    }
  });
});

describe('portal: X-Forwarded-Proto / -Host / -For from an untrusted peer; ASVS 4.1.2, 3.4.1', () => {
  const https = sharedWorld({ domain: 'example.com' });
  const local = sharedWorld({
    domain: localhost,
    config: {
      regulation: { modes: ['ip'], max_retries: 3, find_time: '2m', ban_time: '5m' },
      identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-for-the-attack-suite', clients: [oneClient] } },
    },
  });

  it('X-Forwarded-Proto: https from an untrusted peer does not make plain http an https request', async () => {
    const spoofed = await https().inject({
      method: 'GET',
      url: '/',
      headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https' },
      remoteAddress: untrusted,
    });
    expect(spoofed.statusCode).toBe(400);
    expect(spoofed.body).toContain('served over https only');
    const trusted = await https().inject({ method: 'GET', url: '/', headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https' } });
    expect(trusted.statusCode).toBe(200);
  });

  it('X-Forwarded-Host from an untrusted peer is ignored: the Host is the one answered', async () => {
    const ask = (remoteAddress: string) =>
      local().inject({
        method: 'GET',
        url: '/.well-known/openid-configuration',
        headers: { host: `auth.${localhost}`, 'x-forwarded-host': `app.${localhost}` },
        remoteAddress,
      });
    const spoofed = await ask(untrusted);
    expect([spoofed.statusCode, spoofed.json().issuer]).toEqual([200, `http://auth.${localhost}`]);
    // From a trusted proxy it is believed, and this provider is not served at that host.
    const trusted = await ask('127.0.0.1');
    expect([trusted.statusCode, trusted.json().error]).toEqual([400, 'invalid_request']);
  });

  it('X-Forwarded-For / X-Real-IP / Forwarded rotated by an untrusted peer do not dodge an IP ban (regulation modes: [ip])', async () => {
    const attacker = local().client({ remoteAddress: untrusted });
    for (let i = 0; i < 3; i++) {
      const spoof = `198.51.100.${i + 1}`;
      const reply = await attacker.postJson(
        '/api/firstfactor',
        { username: 'john', password: 'wrong' },
        { 'x-forwarded-for': spoof, 'x-real-ip': spoof, forwarded: `for=${spoof}`, 'true-client-ip': spoof },
      );
      expect(reply.status).toBe(401);
    }
    // The peer is banned whatever it claims now: even bob's right password is refused from it.
    const banned = await attacker.login('bob', {}, { 'x-forwarded-for': '198.51.100.200', 'x-real-ip': '198.51.100.200' });
    expect(banned.status).toBe(401);
    // Another peer is not.
    expect((await local().client({ remoteAddress: '203.0.113.10' }).login('bob')).status).toBe(200);
    // The log names the peer, never the address it claimed.
    const failures = local()
      .logs()
      .split('\n')
      .filter((l) => l.includes('first factor failed') && l.includes('"username":"john"'));
    expect(failures.length).toBe(3);
    for (const line of failures) expect(JSON.parse(line).ip).toBe(untrusted);
  });

  it('control: a trusted proxy forwarding for distinct clients gives each its own IP counter', async () => {
    const proxy = local().client();
    for (let i = 0; i < 3; i++) {
      expect((await proxy.postJson('/api/firstfactor', { username: 'harry', password: 'wrong' }, { 'x-forwarded-for': '198.51.100.77' })).status).toBe(401);
    }
    expect((await proxy.login('harry', {}, { 'x-forwarded-for': '198.51.100.77' })).status).toBe(401);
    expect((await proxy.login('harry', {}, { 'x-forwarded-for': '198.51.100.78' })).status).toBe(200);
  });
});

describe('proxy mode: the client cannot name its IP, host, path or method for the rules or the upstream; GHSA-6384-m2mw-rf54, GHSA-7x63-xv5r-3p2x; ASVS 4.1.2', () => {
  // 127.0.0.1 (this test's sockets) is not a trusted proxy here.
  const world = sharedWorld({
    domain: localhost,
    upstreams: ['app', 'public', 'intranet'],
    config: { server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['10.99.0.0/16'] } },
  });
  const trustedWorld = sharedWorld({
    domain: localhost,
    upstreams: ['intranet'],
    config: { server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['127.0.0.1'] } },
  });
  const host = (w: { port: number }, name: string) => `${name}.${localhost}:${w.port}`;

  const claims: [string, Record<string, string>][] = [
    ['X-Forwarded-For', { 'x-forwarded-for': '192.0.2.7' }],
    ['X-Real-IP', { 'x-real-ip': '192.0.2.7' }],
    ['Forwarded', { forwarded: 'for=192.0.2.7;proto=https' }],
    ['True-Client-IP / CF-Connecting-IP', { 'true-client-ip': '192.0.2.7', 'cf-connecting-ip': '192.0.2.7' }],
    ['X-Forwarded-For twice', { 'x-forwarded-for': '192.0.2.7, 192.0.2.8' }],
  ];

  it.each(claims)('%s naming an intranet address does not satisfy a networks rule', async (_name, headers) => {
    const w = world();
    const reply = await sendHttp(w, host(w, 'intranet'), '/', { headers });
    expect(reply.status).toBe(302);
    expect(w.upstreams.intranet!.seen).toEqual([]);
  });

  it('control: the same X-Forwarded-For from a trusted proxy does', async () => {
    const w = trustedWorld();
    const reply = await sendHttp(w, host(w, 'intranet'), '/', { headers: { 'x-forwarded-for': '192.0.2.7' } });
    expect(reply.status).toBe(200);
    expect(w.upstreams.intranet!.seen.map((s) => s.headers['x-forwarded-for'])).toEqual(['192.0.2.7']);
  });

  const rerouting: [string, string, Record<string, string>][] = [
    ['X-Forwarded-Host names a bypass site', '/', { 'x-forwarded-host': `public.${localhost}` }],
    ['X-Forwarded-Uri names a bypass path', '/admin', { 'x-forwarded-uri': '/public/x' }],
    ['X-Original-URL names a bypass URL', '/admin', { 'x-original-url': `http://public.${localhost}/public/x` }],
    ['X-Rewrite-URL names a bypass path', '/admin', { 'x-rewrite-url': '/public/x' }],
    ['X-Forwarded-Method / X-Original-Method name another method', '/admin', { 'x-forwarded-method': 'OPTIONS', 'x-original-method': 'OPTIONS' }],
    ['X-Forwarded-Prefix names a bypass prefix', '/admin', { 'x-forwarded-prefix': '/public' }],
  ];

  it.each(rerouting)('%s: the rules judge the request itself (login required), nothing reaches the upstream', async (_name, path, headers) => {
    const w = world();
    const reply = await sendHttp(w, host(w, 'app'), path, { headers });
    expect(reply.status).toBe(302);
    expect(w.upstreams.app!.seen).toEqual([]);
    expect(w.upstreams.public!.seen).toEqual([]);
  });

  it('an allowed request reaches the upstream with none of the client’s forwarding or rewrite headers', async () => {
    const w = world();
    const spoofs = {
      'x-forwarded-for': '192.0.2.7',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-uri': '/admin',
      'x-forwarded-method': 'DELETE',
      'x-forwarded-prefix': '/admin',
      'x-forwarded-port': '1',
      'x-forwarded-server': 'evil',
      x_forwarded_for: '192.0.2.7',
      'x-real-ip': '192.0.2.7',
      forwarded: 'for=192.0.2.7;host=evil.example;proto=https',
      'x-original-url': '/admin',
      'x-original-uri': '/admin',
      'x-rewrite-url': '/admin',
      'x-original-method': 'DELETE',
      'x-original-host': 'evil.example',
    };
    const reply = await sendHttp(w, host(w, 'public'), '/page', { headers: spoofs });
    expect(reply.status).toBe(200);
    const seen = w.upstreams.public!.seen.at(-1)!;
    expect(seen.headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': host(w, 'public'),
    });
    const leaked = Object.entries(seen.headers).filter(([, value]) => /192\.0\.2\.7|evil|\/admin|DELETE|^1$/.test(String(value)));
    expect(leaked).toEqual([]);
    for (const name of ['x-original-url', 'x-original-uri', 'x-rewrite-url', 'x-original-method', 'x-original-host', 'forwarded', 'x-forwarded-prefix']) {
      expect([name, seen.headers[name]]).toEqual([name, undefined]);
    }
  });
});
