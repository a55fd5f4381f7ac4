import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Browser, callback, issuer, secret, spaCallback, startProvider } from '../helpers/oidc.js';

/**
 * An authorization code is bound to its client, redirect_uri and PKCE challenge, and these are
 * checked before the code is used up: a party that holds the code but not the binding (another
 * client, or anyone naming a public client without its verifier) cannot burn it for the client
 * it was issued to (RFC 6749 §4.1.3, RFC 9700 §4.2.4).
 */

const verifier = 'v'.repeat(50);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const tokenUrl = `${issuer}/api/oidc/token`;
const basic = (id: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function world() {
  const w = await startProvider();
  const browser = new Browser(w.fetch);
  await browser.login();
  w.clock.advance(1000);
  const code = async (params: Record<string, string> = {}) => {
    const query = new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid email', ...params });
    const response = await browser.get(`${issuer}/api/oidc/authorization?${query}`);
    return new URL(response.headers.get('location')!).searchParams.get('code')!;
  };
  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    w.fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: callback, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  const userinfo = (accessToken: string) => w.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { ...w, code, token, userinfo };
}

const errorOf = async (response: Response) => (await response.json()) as { error: string; error_description: string };

describe('authorization code binding', () => {
  it('leaves the code intact when another client redeems it; its own client redeems it once, a replay revokes', async () => {
    const w = await world();
    const code = await w.code();
    const foreign = await w.token({ code }, { authorization: basic('explicit') });
    expect(foreign.status).toBe(400);
    expect(await errorOf(foreign)).toEqual({ error: 'invalid_grant', error_description: 'The authorization code was issued to another client.' });

    const rightful = await w.token({ code }, { authorization: basic('confidential') });
    expect(rightful.status).toBe(200);
    const tokens = (await rightful.json()) as { access_token: string; id_token: string };
    expect(tokens.id_token).toEqual(expect.any(String));
    expect((await w.userinfo(tokens.access_token)).status).toBe(200);

    const replay = await w.token({ code }, { authorization: basic('confidential') });
    expect(await errorOf(replay)).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code was already used; the tokens issued from it are revoked.',
    });
    expect((await w.userinfo(tokens.access_token)).status).toBe(401);
    const trail = await w.gateway.storage.oidc.auditTrail(10);
    expect(trail.map((e) => e.event)).toEqual(['code_reuse', 'access_token', 'code']);
  });

  it('does not revoke the tokens when another client presents a used code', async () => {
    const w = await world();
    const code = await w.code();
    const { access_token: accessToken } = (await (await w.token({ code }, { authorization: basic('confidential') })).json()) as { access_token: string };
    const foreign = await w.token({ code }, { authorization: basic('explicit') });
    expect((await errorOf(foreign)).error_description).toBe('The authorization code was issued to another client.');
    expect((await w.userinfo(accessToken)).status).toBe(200);
  });

  it('leaves the code intact on a wrong redirect_uri', async () => {
    const w = await world();
    const code = await w.code();
    const moved = await w.token({ code, redirect_uri: `${callback}/` }, { authorization: basic('confidential') });
    expect(await errorOf(moved)).toEqual({ error: 'invalid_grant', error_description: 'redirect_uri differs from the one of the authorization request.' });
    expect((await w.token({ code }, { authorization: basic('confidential') })).status).toBe(200);
  });

  it("leaves a public client's code intact when the verifier is missing or wrong", async () => {
    const w = await world();
    const code = await w.code({ client_id: 'public-app', redirect_uri: spaCallback, code_challenge: challenge, code_challenge_method: 'S256' });
    const asPublic = (fields: Record<string, string>) => w.token({ code, client_id: 'public-app', redirect_uri: spaCallback, ...fields });
    expect(await errorOf(await asPublic({}))).toEqual({ error: 'invalid_grant', error_description: 'code_verifier is required for this code.' });
    expect(await errorOf(await asPublic({ code_verifier: 'x'.repeat(50) }))).toEqual({
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge.',
    });
    const redeemed = await asPublic({ code_verifier: verifier });
    expect(redeemed.status).toBe(200);
    const { access_token: accessToken } = (await redeemed.json()) as { access_token: string };
    // Without the verifier, a used code is not a replay either: the tokens stay valid.
    expect((await errorOf(await asPublic({}))).error_description).toBe('code_verifier is required for this code.');
    expect((await w.userinfo(accessToken)).status).toBe(200);
    expect((await errorOf(await asPublic({ code_verifier: verifier }))).error_description).toBe(
      'The authorization code was already used; the tokens issued from it are revoked.',
    );
    expect((await w.userinfo(accessToken)).status).toBe(401);
  });
});
