/**
 * Security findings 2, 5, 6 and 9 (the host and protocol ones): each attack of the report is
 * tried and refused, through fastify's inject from a trusted peer (127.0.0.1) unless said.
 */
import { describe, expect, it } from 'vitest';
import { ask } from '../authz/ask.js';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import { portalHost, startProvider } from '../helpers/oidc.js';
import { startUpstream } from '../proxy/upstream.js';
import { injectListener } from '../helpers/gateway.js';

/** Rules where falling through to `default_policy` would be visible: it is bypass. */
const lenient = {
  access_control: {
    default_policy: 'bypass',
    rules: [{ domain: 'deny.example.com', policy: 'deny' }],
  },
};

describe('finding 2: a host with empty labels no longer misses domain rules', () => {
  it('refuses X-Forwarded-Host / X-Original-URL / Host with a double trailing dot (400) at every flavour, instead of default_policy', async () => {
    const w = await startAuthzGateway(lenient);
    // The canonical spellings are decided by the deny rule.
    for (const url of ['https://deny.example.com/', 'https://DENY.example.com./', 'https://deny.example.com:8443/']) {
      for (const flavour of ['forward-auth', 'auth-request', 'ext-authz'] as const) {
        expect([url, flavour, (await ask(w, flavour, url)).status]).toEqual([url, flavour, 403]);
      }
    }
    for (const url of ['https://deny.example.com../', 'https://deny..example.com/', 'https://.deny.example.com/']) {
      for (const flavour of ['forward-auth', 'auth-request', 'ext-authz'] as const) {
        const reply = await ask(w, flavour, url);
        expect([url, flavour, reply.status]).toEqual([url, flavour, 400]);
      }
      // Authelia's legacy endpoint answers every malformed request 401.
      expect([url, (await ask(w, 'legacy', url)).status]).toEqual([url, 401]);
    }
    expect(w.logs()).toContain("X-Forwarded-Host: the host 'deny.example.com..' has an empty label");
    expect(w.logs()).toContain("X-Original-URL: 'https://deny.example.com../' has the host 'deny.example.com..', which has an empty label");
  });

  it('refuses userinfo in X-Original-URL: the part after @ is not what the proxy routed on', async () => {
    const w = await startAuthzGateway(lenient);
    const reply = await ask(w, 'auth-request', 'https://deny.example.com:@app.example.com/');
    expect(reply.status).toBe(400);
    expect(w.logs()).toContain('has a user name or password (user@host), which is refused');
  });

  it('sends the portal to the canonical host of a trailing-dot targetURL, and nowhere for an empty label', async () => {
    const w = await startAuthzGateway();
    const login = (targetURL: string) =>
      injectListener(w.gateway, {
        method: 'POST',
        url: '/api/firstfactor',
        headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https', 'content-type': 'application/json' },
        payload: { username: 'john', password: 'correct horse battery', targetURL },
      });
    expect((await login('https://app.example.com./x?y=1')).json()).toEqual({ status: 'OK', data: { redirect: 'https://app.example.com/x?y=1' } });
    expect((await login('https://APP.example.com.:443/')).json()).toEqual({ status: 'OK', data: { redirect: 'https://app.example.com/' } });
    expect((await login('https://app.example.com../')).json()).toEqual({ status: 'OK' });
    expect((await login('https://app..example.com/')).json()).toEqual({ status: 'OK' });
  });
});

describe('finding 5: the OIDC issuer comes from the canonical host and must be the portal origin', () => {
  const discovery = (w: Awaited<ReturnType<typeof startProvider>>, headers: Record<string, string>) =>
    injectListener(w.gateway, { method: 'GET', url: '/.well-known/openid-configuration', headers });

  it('publishes the portal origin as issuer for the portal host, whatever its case or trailing dot', async () => {
    const w = await startProvider();
    for (const host of [portalHost, `AUTH.gatehouse.localhost.`, `${portalHost}:80`]) {
      const reply = await discovery(w, { host });
      expect([host, reply.statusCode, reply.json().issuer]).toEqual([host, 200, `http://${portalHost}`]);
    }
  });

  it('refuses a Host with userinfo (400 before routing), so no endpoint is published on another host', async () => {
    const w = await startProvider();
    const reply = await discovery(w, { host: `${portalHost}:@evil.com` });
    expect(reply.statusCode).toBe(400);
    expect(reply.body).not.toContain('evil.com/api');
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('refuses another port or another host under the cookie domain, and a forwarded host outside it', async () => {
    const w = await startProvider();
    const cases: [Record<string, string>, string][] = [
      [{ host: `${portalHost}:8443` }, `served at http://${portalHost}, not at http://${portalHost}:8443`],
      [{ host: 'app.gatehouse.localhost' }, `served at http://${portalHost}, not at http://app.gatehouse.localhost`],
      [{ host: portalHost, 'x-forwarded-host': 'evil.com' }, "The host 'evil.com' is not under a configured session cookie domain."],
    ];
    for (const [headers, message] of cases) {
      const reply = await discovery(w, headers);
      expect([headers, reply.statusCode, reply.json().error]).toEqual([headers, 400, 'invalid_request']);
      expect(reply.json().error_description).toContain(message);
      expect(reply.headers['cache-control']).not.toContain('public');
    }
  });
});

describe('finding 6: forward-auth checks are answered by Gatehouse on a proxied host', () => {
  it('answers /api/authz/* from a trusted peer whatever the Host; an untrusted client on that host is proxied as before', async () => {
    const upstream = await startUpstream();
    const domain = 'example.localhost';
    const w = await startAuthzGateway({ proxy: { upstreams: [{ domain: `app.${domain}`, target: upstream.url }] } }, domain, `http://auth.${domain}:9091`);
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john', domain));
    const question = { cookie, 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': `app.${domain}`, 'x-forwarded-uri': '/page' };
    // Caddy's forward_auth keeps the client's Host: the check arrives with the protected site's.
    const trusted = await fetchRaw(w.gateway.url, { host: `app.${domain}`, ...question });
    expect([trusted.status, trusted.headers['remote-user']]).toEqual([200, 'john']);
    expect(upstream.seen).toEqual([]);

    // A client that is not a trusted proxy asking for that path on the app's host is the app's business.
    const untrustedWorld = await startAuthzGateway(
      {
        server: { address: 'tcp://127.0.0.1:0', trusted_proxies: ['10.99.0.0/16'] },
        proxy: { upstreams: [{ domain: `app.${domain}`, target: upstream.url }] },
      },
      domain,
      `http://auth.${domain}:9091`,
    );
    const untrustedCookie = cookieHeader(untrustedWorld, await loginFirstFactor(untrustedWorld, 'john', domain));
    const proxied = await fetchRaw(untrustedWorld.gateway.url, { host: `app.${domain}`, ...question, cookie: untrustedCookie });
    expect(proxied.status).toBe(200);
    expect(upstream.seen.map((s) => [s.url, s.headers['remote-user']])).toEqual([['/api/authz/forward-auth', 'john']]);
  });
});

describe('finding 9: the portal over plain http, method overrides', () => {
  it('refuses portal pages and the login API over plain http for an https cookie domain, with a message naming the fix', async () => {
    const w = await startAuthzGateway();
    for (const [method, url] of [
      ['GET', '/'],
      ['POST', '/api/firstfactor'],
      ['GET', '/api/state'],
    ] as const) {
      const reply = await injectListener(w.gateway, {
        method,
        url,
        headers: { host: 'auth.example.com', 'x-forwarded-proto': 'http', 'content-type': 'application/json' },
        ...(method === 'POST' ? { payload: { username: 'john', password: 'correct horse battery' } } : {}),
      });
      expect([url, reply.statusCode]).toEqual([url, 400]);
      expect(reply.body).toContain('served over https only');
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
    // Over https the same login works.
    const ok = await injectListener(w.gateway, {
      method: 'POST',
      url: '/api/firstfactor',
      headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https', 'content-type': 'application/json' },
      payload: { username: 'john', password: 'correct horse battery' },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('strips X-HTTP-Method-Override and its cousins in proxy mode: the upstream sees the method the rules judged', async () => {
    const upstream = await startUpstream();
    const domain = 'example.localhost';
    const w = await startAuthzGateway({ proxy: { upstreams: [{ domain: `public.${domain}`, target: upstream.url }] } }, domain, `http://auth.${domain}:9091`);
    const reply = await fetchRaw(
      w.gateway.url,
      {
        host: `public.${domain}`,
        'x-http-method-override': 'DELETE',
        'x-http-method': 'DELETE',
        'x-method-override': 'DELETE',
        X_HTTP_METHOD_OVERRIDE: 'DELETE',
      },
      '/item',
    );
    expect(reply.status).toBe(200);
    const seen = upstream.seen[0]!;
    expect(seen.method).toBe('GET');
    expect(Object.keys(seen.headers).filter((h) => h.replace(/_/g, '-').includes('method'))).toEqual([]);
  });
});

/** A real GET to the gateway's listener (the listener's routing is what is tested, not inject's). */
async function fetchRaw(
  base: string,
  headers: Record<string, string>,
  path = '/api/authz/forward-auth',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const { request } = await import('node:http');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(url.port), path, method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
