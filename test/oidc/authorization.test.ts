import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Browser, callback, issuer, startProvider } from '../helpers/oidc.js';

const verifier = 'v'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');

/** A provider and a browser already signed in as john. */
async function signedIn() {
  const world = await startProvider();
  const browser = new Browser(world.fetch);
  expect((await browser.login()).status).toBe(200);
  world.clock.advance(1000);
  const authorize = (params: Record<string, string>, who = browser) =>
    who.get(
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid', ...params })}`,
    );
  return { world, browser, authorize };
}

const redirectedTo = (response: Response) => new URL(response.headers.get('location')!);

describe('authorization endpoint: client and redirect URI before any redirect', () => {
  it.each([
    ['trailing slash', `${callback}/`],
    ['added query', `${callback}?next=1`],
    ['https instead of http', callback.replace('http:', 'https:')],
    ['upper-case path', callback.replace('/callback', '/Callback')],
    ['upper-case host', callback.replace('app.', 'APP.')],
    ['another site', 'https://evil.example/callback'],
  ])('refuses a near-miss redirect_uri (%s) with an error page, never a redirect', async (_name, uri) => {
    const { authorize } = await signedIn();
    const response = await authorize({ redirect_uri: uri, state: 'xyz' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const page = await response.text();
    expect(page).toContain('is not registered for the client');
    expect(page).not.toContain('code=');
  });

  it('shows an error page for an unknown or missing client_id and a missing redirect_uri', async () => {
    const { authorize } = await signedIn();
    for (const params of [{ client_id: 'nobody' }, { client_id: '' }, { redirect_uri: '' }] as Record<string, string>[]) {
      const response = await authorize(params);
      expect([response.status, response.headers.get('location')]).toEqual([400, null]);
    }
  });
});

describe('authorization endpoint: responses', () => {
  it('echoes state byte for byte and sends iss with every answer, success and error', async () => {
    const { authorize } = await signedIn();
    const state = 'a b+c/%~é&=?';
    const ok = redirectedTo(await authorize({ state }));
    expect(ok.origin + ok.pathname).toBe(callback);
    expect(ok.searchParams.get('state')).toBe(state);
    expect(ok.searchParams.get('iss')).toBe(issuer);
    expect(ok.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Shorter than minimum_parameter_entropy (8): refused, the state still echoed (test/oidc/authelia-keys.test.ts).
    const short = redirectedTo(await authorize({ state: 'x' }));
    expect(short.searchParams.get('state')).toBe('x');
    expect(short.searchParams.get('error')).toBe('invalid_request');
    const none = redirectedTo(await authorize({}));
    expect(none.searchParams.has('state')).toBe(false);
    const error = redirectedTo(await authorize({ response_type: 'token', state }));
    expect([error.searchParams.get('error'), error.searchParams.get('state'), error.searchParams.get('iss')]).toEqual([
      'unsupported_response_type',
      state,
      issuer,
    ]);
  });

  it('accepts POST requests and unknown or informational parameters', async () => {
    const { browser } = await signedIn();
    const response = await browser.postForm(
      `${issuer}/api/oidc/authorization`,
      {
        client_id: 'confidential',
        redirect_uri: callback,
        response_type: 'code',
        scope: 'profile openid',
        extra: 'foobar',
        login_hint: 'john',
        display: 'popup',
        ui_locales: 'fr',
        claims_locales: 'de',
        acr_values: 'x',
        nonce: 'n-0S6iYWa',
      },
      { origin: 'https://rp.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(response.status).toBe(303);
    expect(redirectedTo(response).searchParams.get('code')).toBeTruthy();
  });

  it('answers form_post with an auto-submitting form to the redirect URI', async () => {
    const { authorize } = await signedIn();
    const response = await authorize({ response_mode: 'form_post', state: '"><script>alert(1)</script>' });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`action="${callback}"`);
    expect(page).toContain('name="state" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page).toContain(`name="iss" value="${issuer}"`);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['response_type missing', { response_type: '' }, 'invalid_request'],
    ['unsupported response_type', { response_type: 'id_token' }, 'unsupported_response_type'],
    ['scope without openid', { scope: 'profile' }, 'invalid_scope'],
    ['scope not allowed for the client', { scope: 'openid phone' }, 'invalid_scope'],
    ['request object that is not a JWT', { request: 'eyJ...' }, 'invalid_request_object'],
    ['request_uri', { request_uri: 'https://rp.example/r' }, 'request_uri_not_supported'],
    ['fragment response mode', { response_mode: 'fragment' }, 'invalid_request'],
    ['bad prompt', { prompt: 'none login' }, 'invalid_request'],
    ['bad max_age', { max_age: '-1' }, 'invalid_request'],
    ['foreign id_token_hint', { id_token_hint: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }, 'invalid_request'],
  ])('refuses %s by redirecting an error', async (_name, params, error) => {
    const { authorize } = await signedIn();
    const response = await authorize(params);
    expect(redirectedTo(response).searchParams.get('error')).toBe(error);
  });

  it('refuses repeated parameters', async () => {
    const { browser } = await signedIn();
    const response = await browser.get(
      `${issuer}/api/oidc/authorization?client_id=confidential&redirect_uri=${encodeURIComponent(callback)}&response_type=code&scope=openid&scope=openid`,
    );
    expect(redirectedTo(response).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('authorization endpoint: PKCE', () => {
  it.each([
    ['plain when disabled', { code_challenge: verifier, code_challenge_method: 'plain' }],
    ['method defaulting to plain', { code_challenge: verifier }],
    ['unknown method', { code_challenge: challenge, code_challenge_method: 'S512' }],
    ['short challenge', { code_challenge: 'abc', code_challenge_method: 'S256' }],
    ['method without challenge', { code_challenge_method: 'S256' }],
  ])('refuses %s', async (_name, params) => {
    const { authorize } = await signedIn();
    expect(redirectedTo(await authorize(params)).searchParams.get('error')).toBe('invalid_request');
  });

  it('requires PKCE for public clients (enforce_pkce: public_clients_only) and for require_pkce clients', async () => {
    const { authorize } = await signedIn();
    const pub = redirectedTo(await authorize({ client_id: 'public-app', redirect_uri: 'http://app.gatehouse.localhost/spa' }));
    expect(pub.searchParams.get('error_description')).toMatch(/must use PKCE/);
    expect(redirectedTo(await authorize({ client_id: 'pkce-always' })).searchParams.get('error')).toBe('invalid_request');
    expect(
      redirectedTo(await authorize({ client_id: 'pkce-always', code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code'),
    ).toBeTruthy();
  });

  it('accepts plain only when enable_pkce_plain_challenge is on, and then advertises it', async () => {
    const world = await startProvider({ enable_pkce_plain_challenge: true, enforce_pkce: 'always' });
    const browser = new Browser(world.fetch);
    await browser.login();
    const meta = (await (await world.fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.code_challenge_methods_supported).toEqual(['S256', 'plain']);
    const q = (p: Record<string, string>) =>
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid', ...p })}`;
    expect(redirectedTo(await browser.get(q({ code_challenge: verifier, code_challenge_method: 'plain' }))).searchParams.get('code')).toBeTruthy();
    expect(redirectedTo(await browser.get(q({}))).searchParams.get('error')).toBe('invalid_request');
  });
});
