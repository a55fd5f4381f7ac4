import { describe, expect, it } from 'vitest';
import { startUpstream } from '../proxy/upstream.js';
import { client, loopbackFetch, secret, callback, startProvider } from '../helpers/oidc.js';
import { portalHost, portalOrigin } from '../helpers/portal.js';

/** The portal and the provider served under `/auth` (`server.address: tcp://…/auth`), with one proxied upstream. */
async function startUnderAuth() {
  const upstream = await startUpstream();
  const world = await startProvider(
    {},
    {
      config: {
        server: { address: 'tcp://127.0.0.1:0/auth' },
        session: {
          cookies: [{ domain: 'gatehouse.localhost', portal_url: `${portalOrigin}/auth` }],
        },
        access_control: {
          default_policy: 'deny',
          rules: [
            { domain: portalHost, policy: 'bypass' },
            { domain: 'public.gatehouse.localhost', policy: 'bypass' },
            { domain: 'app.gatehouse.localhost', policy: 'one_factor' },
          ],
        },
        proxy: { upstreams: [{ domain: 'public.gatehouse.localhost', target: upstream.url }] },
      },
    },
  );
  const fetch = loopbackFetch(new URL(world.gateway.url));
  return { ...world, fetch, upstream };
}

const issuer = `${portalOrigin}/auth`;

async function login(fetch: ReturnType<typeof loopbackFetch>): Promise<string> {
  const answer = await fetch(`${issuer}/api/firstfactor`, {
    method: 'POST',
    body: JSON.stringify({ username: 'john', password: 'password' }),
    headers: { 'content-type': 'application/json', origin: portalOrigin, 'sec-fetch-site': 'same-origin' },
  });
  expect(answer.status).toBe(200);
  return answer.headers.getSetCookie()[0]!.split(';')[0]!;
}

describe('server.path: Gatehouse under /auth', () => {
  it('serves the portal, its API and static files under /auth, and every own URL it writes carries the prefix', async () => {
    const { fetch } = await startUnderAuth();
    const page = await fetch(`${issuer}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/auth/login"');
    expect(html).toContain('href="/auth/static/portal.css"');
    expect(html).toContain('data-base="/auth"');
    expect(html).not.toMatch(/(action|href|src)="\/(?!auth\/)/);
    expect((await fetch(`${issuer}`)).status).toBe(200);
    expect((await fetch(`${issuer}/static/portal.css`)).status).toBe(200);
    expect((await fetch(`${issuer}/api/health`)).status).toBe(200);

    const form = await fetch(`${issuer}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'john', password: 'password' }).toString(),
      headers: { origin: portalOrigin, 'sec-fetch-site': 'same-origin' },
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/auth/authenticated');
    const cookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const signedIn = await (await fetch(`${issuer}/authenticated`, { headers: { cookie } })).text();
    expect(signedIn).toContain('href="/auth/settings"');
    expect(signedIn).toContain('action="/auth/logout"');
    const state = await fetch(`${issuer}/api/state`, { headers: { cookie } });
    expect(((await state.json()) as { data: { username: string } }).data.username).toBe('john');
    // A signed-out visit to a page that needs a session goes to the sign-in page under /auth, coming back under /auth.
    const settings = await fetch(`${issuer}/settings`);
    expect(settings.status).toBe(302);
    expect(settings.headers.get('location')).toBe(`/auth/?rd=${encodeURIComponent(`${issuer}/settings`)}`);
  });

  it('answers outside /auth as Authelia does: the same routes at the root, and 404 only where no route is', async () => {
    const { fetch } = await startUnderAuth();
    for (const path of ['/api/health', '/static/portal.css', '/.well-known/openid-configuration']) {
      const answer = await fetch(`${portalOrigin}${path}`);
      expect([path, answer.status]).toEqual([path, 200]);
    }
    // The links of a page served at the root still point under /auth: the page is the same.
    const page = await (await fetch(`${portalOrigin}/`)).text();
    expect(page).toContain('/auth/static/');
    for (const path of ['/authx/api/health', '/%61uth/api/health']) {
      const answer = await fetch(`${portalOrigin}${path}`);
      expect([path, answer.status]).toEqual([path, 404]);
    }
  });

  it('answers forward-auth under /auth and sends the browser to the portal under /auth', async () => {
    const { fetch } = await startUnderAuth();
    const ask = (path: string, cookie?: string) =>
      fetch(`${portalOrigin}${path}`, {
        headers: {
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': 'app.gatehouse.localhost',
          'x-forwarded-uri': '/private',
          accept: 'text/html',
          ...(cookie ? { cookie } : {}),
        },
      });
    const anonymous = await ask('/auth/api/authz/forward-auth');
    expect(anonymous.status).toBe(302);
    const location = new URL(anonymous.headers.get('location')!);
    expect(location.origin + location.pathname).toMatch(/^http:\/\/auth\.gatehouse\.localhost\/auth\/?$/);
    expect(location.searchParams.get('rd')).toBe('http://app.gatehouse.localhost/private');
    const cookie = await login(fetch);
    const allowed = await ask('/auth/api/authz/forward-auth', cookie);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('remote-user')).toBe('john');
    // A proxy that calls the endpoint without the path is answered too, as Authelia answers it.
    expect((await ask('/api/authz/forward-auth', cookie)).status).toBe(200);
  });

  it('publishes the provider under /auth: issuer, endpoints, and a code flow with openid-client', async () => {
    const world = await startUnderAuth();
    const { fetch } = world;
    const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(issuer);
    expect(metadata.token_endpoint).toBe(`${issuer}/api/oidc/token`);
    expect(metadata.authorization_endpoint).toBe(`${issuer}/api/oidc/authorization`);
    expect(metadata.jwks_uri).toBe(`${issuer}/jwks.json`);
    expect((await fetch(`${issuer}/jwks.json`)).status).toBe(200);

    const skew = Math.round((world.clock.now() - Date.now()) / 1000);
    const config = await client.discovery(
      new URL(issuer),
      'confidential',
      { client_secret: secret, [client.clockSkew]: skew },
      client.ClientSecretBasic(secret),
      {
        execute: [client.allowInsecureRequests],
        [client.customFetch]: fetch as unknown as client.CustomFetch,
      },
    );
    config[client.customFetch] = fetch as unknown as client.CustomFetch;
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback,
      scope: 'openid profile',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(url.pathname).toBe('/auth/api/oidc/authorization');
    const toLogin = await fetch(url);
    expect(toLogin.status).toBe(302);
    const loginPage = new URL(toLogin.headers.get('location')!);
    expect(loginPage.pathname).toBe('/auth/');
    const resume = loginPage.searchParams.get('rd')!;
    expect(resume.startsWith(`${issuer}/api/oidc/authorization?flow_id=`)).toBe(true);
    const cookie = await login(fetch);
    world.clock.advance(1000);
    let answer = await fetch(resume, { headers: { cookie } });
    // The consent page (under /auth) comes first for this client: accept it.
    if (answer.headers.get('location')?.startsWith(`${issuer}/consent`)) {
      const consent = new URL(answer.headers.get('location')!);
      const page = await (await fetch(consent, { headers: { cookie } })).text();
      expect(page).toContain('action="/auth/consent"');
      const accepted = await fetch(`${issuer}/consent`, {
        method: 'POST',
        body: new URLSearchParams({ flow_id: consent.searchParams.get('flow_id')!, decision: 'accept' }).toString(),
        headers: { cookie, origin: portalOrigin, 'sec-fetch-site': 'same-origin' },
      });
      answer = await fetch(new URL(accepted.headers.get('location')!), { headers: { cookie } });
    }
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location')!);
    expect(back.searchParams.get('iss')).toBe(issuer);
    const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ iss: issuer, aud: 'confidential' });
  });

  it('leaves the built-in reverse proxy unprefixed: an upstream host is routed by its own path', async () => {
    const { fetch, upstream } = await startUnderAuth();
    const answer = await fetch('http://public.gatehouse.localhost/api/health');
    expect(answer.status).toBe(200);
    expect(upstream.seen.map((s) => s.url)).toEqual(['/api/health']);
    const prefixed = await fetch('http://public.gatehouse.localhost/auth/x');
    expect(prefixed.status).toBe(200);
    expect(upstream.seen.map((s) => s.url)).toEqual(['/api/health', '/auth/x']);
  });
});
