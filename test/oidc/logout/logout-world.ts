import { SignJWT, decodeJwt } from 'jose';
import { expect } from 'vitest';
import { KeyStore } from '../../../src/oidc/keys.js';
import { Browser, callback, issuer, portalOrigin, secret, startProvider, testClients } from '../../helpers/oidc.js';

export { Browser, issuer, portalOrigin };

/** The path of the end-session endpoint and of its confirmation form. */
export const endSessionPath = '/api/oidc/end-session';
export const confirmPath = '/api/oidc/end-session/confirm';

/** A provider with the test clients plus `clients` (each confidential, secret `secret`, redirect URI `callback`). */
export async function startLogoutProvider(clients: Record<string, unknown>[], oidc: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  const base = { authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback], client_secret: secret };
  const world = await startProvider({ clients: [...testClients(), ...clients.map((c) => ({ ...base, ...c }))], ...oidc }, { config });
  // The provider's own keys (the same database), to sign hints a test needs that no flow gives.
  const keys = await KeyStore.load([], world.gateway.storage.oidc, world.clock);

  /** Signs `browser` in (when it is not) and runs a code flow for `clientId`; returns the token response. */
  async function signIn(browser: Browser, clientId: string): Promise<{ id_token: string; access_token: string; sid: string; sub: string }> {
    if ((await username(browser)) === '') expect((await browser.login()).status).toBe(200);
    const query = new URLSearchParams({ client_id: clientId, redirect_uri: callback, response_type: 'code', scope: 'openid profile' });
    const authorization = await browser.get(`${issuer}/api/oidc/authorization?${query}`);
    expect(authorization.status).toBe(302);
    const code = new URL(authorization.headers.get('location')!).searchParams.get('code')!;
    const response = await world.fetch(`${issuer}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: callback, code }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { id_token: string; access_token: string };
    const claims = decodeJwt(tokens.id_token);
    return { ...tokens, sid: String(claims.sid), sub: String(claims.sub) };
  }

  /** Who `browser`'s session is signed in as ('' for nobody). */
  async function username(browser: Browser): Promise<string> {
    const state = (await (await browser.get(`${issuer}/api/state`)).json()) as { data: { username: string } };
    return state.data.username;
  }

  /** An ID-token-shaped JWT signed with the provider's current RS256 key (claims as given; iss, iat, exp defaulted). */
  async function mint(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const key = keys.signer('RS256');
    const now = Math.floor(world.clock.now() / 1000);
    return new SignJWT({ iss: issuer, iat: now, exp: now + 3600, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header })
      .sign(key.privateKey);
  }

  /** GET the end-session endpoint with `params`. */
  const endSession = (browser: Browser, params: Record<string, string>) => browser.get(`${issuer}${endSessionPath}?${new URLSearchParams(params)}`);

  /** POST the confirmation form as the portal page does (same origin). */
  const confirm = (browser: Browser, fields: Record<string, string>) =>
    browser.postForm(`${issuer}${confirmPath}`, fields, { origin: portalOrigin, 'sec-fetch-site': 'same-origin' });

  return { ...world, keys, signIn, username, mint, endSession, confirm, newBrowser: () => new Browser(world.fetch) };
}

export type LogoutWorld = Awaited<ReturnType<typeof startLogoutProvider>>;

/** The hidden fields of the confirmation form in `page`. */
export function confirmFields(page: string): Record<string, string> {
  const form = /<form method="post" action="\/api\/oidc\/end-session\/confirm"[^>]*>([\s\S]*?)<\/form>/.exec(page);
  expect(form, 'the confirmation form').not.toBeNull();
  const fields: Record<string, string> = {};
  for (const m of form![1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeEntities(m[2]!);
  return fields;
}

/** The `src` of every front-channel iframe in `page`, decoded. */
export function frameSources(page: string): string[] {
  return [...page.matchAll(/<iframe class="frontchannel-logout" src="([^"]+)"/g)].map((m) => decodeEntities(m[1]!));
}

/** One directive of a CSP header, its sources; undefined when absent. */
export function cspDirective(csp: string | null, name: string): string[] | undefined {
  const directive = (csp ?? '')
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find((d) => d[0] === name);
  return directive?.slice(1);
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
