import { expect } from 'vitest';
import { TokenHasher } from '../../src/oidc/tokens.js';
import { Browser, callback, client, issuer, loopbackFetch, secret, startProvider, testClients } from '../helpers/oidc.js';

/**
 * Clients of the introspection, revocation, client-credentials and JWT access-token suites,
 * besides the shared test clients (helpers/oidc.ts).
 */
export function tokenClients(): Record<string, unknown>[] {
  const base = { authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback] };
  return [
    ...testClients(),
    {
      ...base,
      client_id: 'service',
      client_secret: secret,
      grant_types: ['client_credentials'],
      scopes: ['gatehouse.bearer.authz', 'profile', 'openid'],
      audience: ['https://app.gatehouse.localhost', 'https://api.gatehouse.localhost/v1'],
    },
    { ...base, client_id: 'other-service', client_secret: secret, grant_types: ['client_credentials'], scopes: ['gatehouse.bearer.authz'] },
    { ...base, client_id: 'resource-server', client_secret: secret, introspect_any_token: true },
    {
      ...base,
      client_id: 'post-only',
      client_secret: secret,
      introspection_endpoint_auth_method: 'client_secret_post',
      revocation_endpoint_auth_method: 'client_secret_post',
    },
    {
      ...base,
      client_id: 'jwt-app',
      client_secret: secret,
      grant_types: ['authorization_code', 'client_credentials'],
      scopes: ['openid', 'profile', 'email', 'groups', 'gatehouse.bearer.authz'],
      // the forward-auth site of the portal world (plain http under .localhost)
      audience: ['http://app.gatehouse.localhost'],
      access_token_signed_response_alg: 'RS256',
      claims_policy: 'in-access-token',
    },
  ];
}

/** A provider with {@link tokenClients}. */
export async function startTokenProvider(oidc: Record<string, unknown> = {}) {
  return startProvider({ clients: tokenClients(), claims_policies: { 'in-access-token': { access_token: ['groups', 'email', 'name'] } }, ...oidc });
}

export type TokenWorld = Awaited<ReturnType<typeof startTokenProvider>>;

/**
 * openid-client's configuration for `clientId`, from the provider's discovery document with the
 * introspection and revocation endpoints added when discovery does not list them yet.
 */
export async function configFor(world: TokenWorld, clientId: string, auth: client.ClientAuth = client.ClientSecretBasic(secret), metadata = {}) {
  const document = (await (await world.fetch(`${issuer}/.well-known/openid-configuration`)).json()) as client.ServerMetadata;
  const server = {
    introspection_endpoint: `${issuer}/api/oidc/introspection`,
    revocation_endpoint: `${issuer}/api/oidc/revocation`,
    ...document,
  };
  const skew = Math.round((world.clock.now() - Date.now()) / 1000);
  const config = new client.Configuration(server, clientId, { client_secret: secret, [client.clockSkew]: skew, ...metadata }, auth);
  client.allowInsecureRequests(config);
  config[client.customFetch] = world.fetch as unknown as client.CustomFetch;
  return config;
}

/** One authorization code flow (john logs in over HTTP), as test/oidc/flows.test.ts drives it. */
export async function codeFlow(world: TokenWorld, config: client.Configuration, scope = 'openid profile email groups') {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: callback,
    scope,
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const browser = new Browser(world.fetch);
  const toLogin = await browser.get(url);
  const login = new URL(toLogin.headers.get('location')!);
  expect((await browser.login()).status).toBe(200);
  world.clock.advance(1000);
  const back = await browser.follow(login.searchParams.get('rd')!);
  expect(back.status).toBe(302);
  return client.authorizationCodeGrant(config, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: state });
}

/** A raw form POST to a provider endpoint (for what openid-client will not send). */
export function postForm(world: TokenWorld, path: string, fields: Record<string, string> | string, headers: Record<string, string> = {}) {
  const body = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
  return world.fetch(`${issuer}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

export function basicAuth(clientId: string, clientSecret = secret): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

export { client, issuer, loopbackFetch, secret };

/** The provider's token hasher (helpers/oidc.ts's `hmac_secret`), to find and seed stored tokens. */
export const hasher = new TokenHasher('a-very-long-hmac-secret-for-tests');

/** Stores a copy of the access token `accessToken` under another value, with `changes` (another client, user …). */
export async function seedAccessToken(world: TokenWorld, accessToken: string, value: string, changes: Record<string, unknown> = {}): Promise<string> {
  const stored = await world.gateway.storage.oidc.findToken(hasher.hash('access', accessToken));
  if (!stored) throw new Error('unknown access token');
  await world.gateway.storage.oidc.saveToken({ ...stored, tokenHash: hasher.hash('access', value), ...changes });
  return value;
}

/** A refresh token stored in the grant of `accessToken`, as the refresh-token grant stores one. */
export async function seedRefreshToken(world: TokenWorld, accessToken: string, value = 'r'.repeat(43)): Promise<string> {
  const access = await world.gateway.storage.oidc.findToken(hasher.hash('access', accessToken));
  if (!access) throw new Error('unknown access token');
  const now = world.clock.now();
  await world.gateway.storage.oidc.saveToken({
    ...access,
    tokenHash: hasher.hash('refresh', value),
    kind: 'refresh',
    issuedAt: now,
    expiresAt: now + 86_400_000,
  });
  return value;
}
