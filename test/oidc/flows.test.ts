import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { Browser, callback, client, discover, issuer, secret, spaCallback, startProvider } from '../helpers/oidc.js';

/** One authorization code flow driven by openid-client, the user logging in over HTTP. */
async function codeFlow(
  world: Awaited<ReturnType<typeof startProvider>>,
  config: client.Configuration,
  redirectUri: string,
  scope = 'openid profile email groups',
) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const browser = new Browser(world.fetch);
  const toLogin = await browser.get(url);
  expect(toLogin.status).toBe(302);
  const login = new URL(toLogin.headers.get('location')!);
  expect(login.pathname).toBe('/');
  expect((await browser.login()).status).toBe(200);
  world.clock.advance(1000);
  const back = await browser.follow(login.searchParams.get('rd')!);
  expect(back.status).toBe(302);
  const location = new URL(back.headers.get('location')!);
  const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  return { tokens, location, state };
}

describe('OpenID Connect flows with openid-client', () => {
  it('confidential client, client_secret_basic: discovery → authorization with PKCE → token → userinfo', async () => {
    const world = await startProvider();
    const config = await discover(world.fetch, 'confidential', undefined, undefined);
    const basic = await discover(world.fetch, 'confidential', { client_secret: secret }, client.ClientSecretBasic(secret));
    expect(config.serverMetadata().issuer).toBe(issuer);
    const { tokens, location, state } = await codeFlow(world, basic, callback);
    expect(location.searchParams.get('iss')).toBe(issuer);
    expect(location.searchParams.get('state')).toBe(state);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(Buffer.from(tokens.access_token, 'base64url')).toHaveLength(32);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, aud: 'confidential', azp: 'confidential', amr: ['pwd'] });
    expect(claims.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.email).toBeUndefined(); // scope claims live in userinfo unless the client asks otherwise
    const info = await client.fetchUserInfo(basic, tokens.access_token, claims.sub);
    expect(info).toEqual({
      sub: claims.sub,
      name: 'John <Doe>',
      preferred_username: 'john',
      email: 'john.doe@gatehouse.localhost',
      email_verified: true,
      groups: ['admins', 'dev'],
      // The users file's time when john's entry was read (issue 11: updated_at).
      updated_at: expect.any(Number),
    });
    // The ID token is RS256 with a kid from /jwks.json, and at_hash binds the access token.
    const jwks = (await (await world.fetch(`${issuer}/jwks.json`)).json()) as { keys: object[] };
    const idToken = tokens.id_token!;
    expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks as never), {
      issuer,
      audience: 'confidential',
      currentDate: new Date(world.clock.now()),
    });
    const { createHash } = await import('node:crypto');
    expect(payload.at_hash).toBe(createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url'));
    expect(payload.auth_time).toBe(Math.floor((world.clock.now() - 1000) / 1000));
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('confidential client, client_secret_post (openid-client default); a second login reuses the session', async () => {
    const world = await startProvider();
    const config = await discover(world.fetch, 'confidential', secret);
    const { tokens } = await codeFlow(world, config, callback, 'openid');
    const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(info).toEqual({ sub: tokens.claims()!.sub });
  });

  it('public client with PKCE and no secret (token_endpoint_auth_method none)', async () => {
    const world = await startProvider();
    const config = await discover(world.fetch, 'public-app', undefined, client.None());
    const { tokens } = await codeFlow(world, config, spaCallback, 'openid email');
    expect(tokens.claims()!.aud).toBe('public-app');
    const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(info.email).toBe('john.doe@gatehouse.localhost');
  });

  it('copies scope claims into the ID token and signs userinfo only for the client that asked', async () => {
    const world = await startProvider();
    const config = await discover(world.fetch, 'claims', { client_secret: secret, userinfo_signed_response_alg: 'RS256' }, client.ClientSecretPost(secret));
    const { tokens } = await codeFlow(world, config, callback);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ email: 'john.doe@gatehouse.localhost', groups: ['admins', 'dev'], preferred_username: 'john', azp: 'claims' });
    expect(claims.aud).toEqual(['claims', 'https://api.gatehouse.localhost']);
    const raw = await world.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(raw.headers.get('content-type')).toMatch(/^application\/jwt/);
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.groups).toEqual(['admins', 'dev']);
  });
});
