import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBinary, startHaproxy } from './forward-auth/fronts.js';
import { domain, front, login, runScenarios } from './forward-auth/scenarios.js';
import { type E2E, setUp } from './forward-auth/setup.js';

const example = {
  config: readFileSync(new URL('../../examples/haproxy/haproxy.cfg', import.meta.url), 'utf8'),
  lua: fileURLToPath(new URL('../../examples/haproxy/gatehouse-auth-request.lua', import.meta.url)),
  domain,
};

async function haproxyFront(): Promise<E2E> {
  const e = await setUp('front');
  await startHaproxy(e.dir, e.ports, example);
  return e;
}

/** Where Gatehouse sends a browser to log in for `method url` (the portal behind the same front). */
function portal(port: number, url: string, method = 'GET'): string {
  return `http://auth.${domain}:${port}/?rd=${encodeURIComponent(url)}&rm=${method}`;
}

/** The status of `GET /` for `host` sent with no Accept header (`front` always sends one). */
function statusWithoutAccept(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** Headers only a proxy may set: identity, forwarding, method overrides, URL rewrites (any case, `_` for `-`). */
const owned = /^(remote[-_]|forwarded$|x[-_](real[-_]ip|forwarded[-_]|http[-_]method|original[-_]|rewrite[-_]))/i;

/** Such headers of the last request the app received, as sorted `name: value` lines. */
function ownedSeen(e: E2E): string[] {
  const raw = e.upstream.seen.at(-1)?.rawHeaders ?? [];
  return raw.flatMap((name, i) => (i % 2 === 0 && owned.test(name) ? [`${name.toLowerCase()}: ${raw[i + 1]}`] : [])).sort();
}

describe.runIf(requireBinary('haproxy', ['-v']))('HAProxy + examples/haproxy/gatehouse-auth-request.lua → /api/authz/forward-auth', () => {
  it('runs the forward-auth scenarios end to end', async () => {
    const e = await haproxyFront();
    await runScenarios(e.ports.front, e.upstream, e.cookieName, e.raise);
  });

  it('owns the forwarding and identity headers, and routes on the host Gatehouse judged', async () => {
    const e = await haproxyFront();
    const port = e.ports.front;
    // A client-supplied X-Forwarded-For is replaced by HAProxy (src): no spoofing the intranet rule.
    const spoofed = await front(port, `intranet.${domain}`, '/', { headers: { 'x-forwarded-for': '192.0.2.7' } });
    expect(spoofed.status).toBe(403);
    // Nor a forged target: X-Forwarded-Host/-URI/-Method are HAProxy's, from the request line and Host.
    const forgedTarget = await front(port, `app.${domain}`, '/x', {
      headers: { 'x-forwarded-host': `public.${domain}`, 'x-forwarded-uri': '/open', 'x-forwarded-method': 'OPTIONS' },
    });
    expect([forgedTarget.status, forgedTarget.headers.location]).toEqual([302, portal(port, `http://app.${domain}:${port}/x`)]);
    const dots = await front(port, `app.${domain}`, '/a/%2e%2e/admin');
    expect(dots.status).toBe(302);
    // Routing reads the host as Gatehouse does: a trailing dot reaches the portal, not the app
    // with the portal's answer; a Host that is a list is refused, not split.
    const dotted = await front(port, `auth.${domain}.`, '/');
    expect(dotted.status).toBe(200);
    const list = await front(port, `public.${domain}:${port}, app.${domain}`, '/');
    expect(list.status).toBe(400);
    expect(e.upstream.seen).toEqual([]);

    // Headers only a proxy may set never reach the app: Remote-* in any spelling (`_` ones are
    // the same name to PHP/WSGI), forwarding headers, method overrides, URL rewrites.
    const forged = {
      'REMOTE-USER': 'admin',
      Remote_User: 'admin',
      remote_groups: 'admins',
      'Remote-Name': 'x',
      'remote-email': 'x@example.com',
      Forwarded: 'for=192.0.2.7',
      'X-Real-IP': '192.0.2.7',
      X_Forwarded_For: '192.0.2.7',
      'X-HTTP-Method-Override': 'DELETE',
      'X-Original-URL': '/admin',
      'X-Rewrite-URL': '/admin',
    };
    const open = await front(port, `public.${domain}`, '/open', { headers: forged });
    expect(open.status).toBe(200);
    expect(ownedSeen(e)).toEqual([
      'x-forwarded-for: 127.0.0.1',
      `x-forwarded-host: public.${domain}:${port}`,
      'x-forwarded-method: GET',
      'x-forwarded-proto: http',
      'x-forwarded-uri: /open',
      'x-real-ip: 127.0.0.1',
    ]);
    const cookie = await login(port, 'john', e.cookieName);
    const mine = await front(port, `app.${domain}`, '/me', { headers: { cookie, ...forged } });
    expect([mine.status, e.upstream.seen.at(-1)?.method, e.upstream.seen.at(-1)?.url]).toEqual([200, 'GET', '/me']);
    expect(ownedSeen(e).filter((h) => h.startsWith('remote-'))).toEqual([
      'remote-email: john@example.com',
      'remote-groups: admins,dev',
      'remote-name: John Doe',
      'remote-user: john',
    ]);
  });

  it('passes 401 through for XHR and credentials, 400 for a foreign host, and fails closed without Gatehouse', async () => {
    const e = await haproxyFront();
    const port = e.ports.front;
    const xhr = await front(port, `app.${domain}`, '/api', { headers: { 'x-requested-with': 'XMLHttpRequest' } });
    expect([xhr.status, xhr.headers.location]).toEqual([401, undefined]);
    const json = await front(port, `app.${domain}`, '/api', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(401);
    // No Accept at all is not a browser either (HAProxy's client would otherwise send `*/*`).
    expect(await statusWithoutAccept(port, `app.${domain}:${port}`)).toBe(401);
    const post = await front(port, `app.${domain}`, '/form', { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([post.status, post.headers.location]).toEqual([303, portal(port, `http://app.${domain}:${port}/form`, 'POST')]);
    const basic = await front(port, `app.${domain}`, '/', { headers: { authorization: `Basic ${Buffer.from('john:wrong').toString('base64')}` } });
    expect([basic.status, basic.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
    const foreign = await front(port, 'app.example.net', '/');
    expect(foreign.status).toBe(400);
    expect(e.upstream.seen).toEqual([]);

    await e.world.gateway.close();
    const down = await front(port, `public.${domain}`, '/open');
    expect(down.status).toBe(503);
    expect(e.upstream.seen).toEqual([]);
  });
});
