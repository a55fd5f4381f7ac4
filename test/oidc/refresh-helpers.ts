import { expect } from 'vitest';
import { TokenHasher } from '../../src/oidc/tokens.js';
import { Browser, callback, client, discover, issuer, portalOrigin, secret, spaCallback, startProvider, testClients } from '../helpers/oidc.js';

export type World = Awaited<ReturnType<typeof startProvider>>;

const base = { authorization_policy: 'one_factor', redirect_uris: [callback], grant_types: ['authorization_code', 'refresh_token'] };
const offlineScopes = ['openid', 'profile', 'email', 'groups', 'offline_access'];

/** The test clients plus clients that may get refresh tokens, in each consent mode. */
export function refreshClients(): Record<string, unknown>[] {
  return [
    ...testClients(),
    { ...base, client_id: 'offline', client_secret: secret, consent_mode: 'explicit', client_name: 'Nextcloud Desktop', scopes: offlineScopes },
    { ...base, client_id: 'offline-b', client_secret: secret, consent_mode: 'explicit', scopes: offlineScopes },
    { ...base, client_id: 'offline-implicit', client_secret: secret, consent_mode: 'implicit', scopes: offlineScopes },
    { ...base, client_id: 'offline-remember', client_secret: secret, consent_mode: 'pre-configured', scopes: offlineScopes },
    { ...base, client_id: 'offline-public', public: true, consent_mode: 'implicit', redirect_uris: [spaCallback], scopes: ['openid', 'offline'] },
    { ...base, client_id: 'online-only', client_secret: secret, consent_mode: 'implicit', grant_types: ['authorization_code'], scopes: offlineScopes },
  ];
}

/** A provider with {@link refreshClients}; `oidc` and `config` as for `startProvider`. */
export function startRefreshProvider(oidc: Record<string, unknown> = {}, config?: Record<string, unknown>) {
  return startProvider({ clients: refreshClients(), ...oidc }, config ? { config } : {});
}

/** openid-client's configuration of a client (client_secret_basic, or none for the public one). */
export function configFor(w: World, clientId: string) {
  if (clientId === 'offline-public') return discover(w.fetch, clientId, undefined, client.None());
  return discover(w.fetch, clientId, { client_secret: secret }, client.ClientSecretBasic(secret));
}

const same = { origin: portalOrigin, 'sec-fetch-site': 'same-origin' };

/**
 * One authorization code flow: john signs in (once per browser), accepts the consent page when
 * it comes, and the code is exchanged by openid-client. `consentPage` holds the page's HTML.
 */
export async function signIn(w: World, config: client.Configuration, options: { scope?: string; prompt?: string; browser?: Browser; remember?: boolean } = {}) {
  const browser = options.browser ?? new Browser(w.fetch);
  if (!browser.cookie) {
    expect((await browser.login()).status).toBe(200);
    w.clock.advance(1000);
  }
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const clientId = config.clientMetadata().client_id;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: clientId === 'offline-public' ? spaCallback : callback,
    scope: options.scope ?? 'openid profile email offline_access',
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(options.prompt ? { prompt: options.prompt } : {}),
  });
  let location = new URL((await browser.get(url)).headers.get('location')!, portalOrigin);
  let consentPage: string | undefined;
  if (location.origin === portalOrigin && location.pathname === '/consent') {
    consentPage = await (await browser.get(location)).text();
    const fields = { flow_id: location.searchParams.get('flow_id')!, decision: 'accept', ...(options.remember ? { remember: 'true' } : {}) };
    const accepted = await browser.postForm(`${portalOrigin}/consent`, fields, same);
    location = new URL((await browser.get(accepted.headers.get('location')!)).headers.get('location')!, portalOrigin);
  }
  const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  return { tokens, browser, consentPage };
}

/** The OAuth error a refresh is refused with (openid-client throws it). */
export async function refusal(promise: Promise<unknown>): Promise<{ error: string; description: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return { error: error.error, description: error.error_description };
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** The status of userinfo for an access token: 200 when it works, 401 once revoked. */
export async function userinfoStatus(w: World, accessToken: string): Promise<number> {
  return (await w.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

const hasher = new TokenHasher('a-very-long-hmac-secret-for-tests');

/** The stored row of a refresh token. */
export async function storedRefresh(w: World, token: string) {
  return w.gateway.storage.oidc.findToken(hasher.hash('refresh', token));
}

/** The stored row of an access token. */
export async function storedAccess(w: World, token: string) {
  return w.gateway.storage.oidc.findToken(hasher.hash('access', token));
}
