import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { clientKeyPair, startJwksServer } from '../helpers/jwks-server.js';
import { Browser, callback, issuer, secret, startProvider, testClients } from '../helpers/oidc.js';

const other = 'http://app.gatehouse.localhost/other';
const jar = await clientKeyPair('jar-1');
const pem = jar.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const base = { authorization_policy: 'one_factor', consent_mode: 'implicit', client_secret: secret, redirect_uris: [callback, other] };

/** A provider with clients that sign request objects: `jar` (jwks), `jar-es` (must use ES256), `jar-uri` (jwks_uri). */
async function world() {
  const served = await startJwksServer({ kind: 'keys', keys: [jar.jwk] });
  const w = await startProvider({
    clients: [
      ...testClients(),
      { ...base, client_id: 'jar', jwks: [{ key_id: 'jar-1', algorithm: 'RS256', key: pem }] },
      { ...base, client_id: 'jar-es', jwks: [{ key_id: 'jar-1', algorithm: 'RS256', key: pem }], request_object_signing_alg: 'ES256' },
      { ...base, client_id: 'jar-uri', jwks_uri: served.url },
    ],
  });
  const browser = new Browser(w.fetch);
  expect((await browser.login()).status).toBe(200);
  w.clock.advance(1000);
  const seconds = () => Math.floor(w.clock.now() / 1000);
  /** A request object of `clientId` with `claims`, signed by the client's key unless told otherwise. */
  const sign = (claims: Record<string, unknown>, clientId = 'jar', key: KeyObject | Uint8Array = jar.privateKey, header: Record<string, unknown> = {}) =>
    new SignJWT({
      iss: clientId,
      aud: issuer,
      iat: seconds(),
      exp: seconds() + 300,
      client_id: clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: other,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'jar-1', typ: 'oauth-authz-req+jwt', ...header })
      .sign(key);
  /** The authorization request: `client_id`, `response_type`, `scope` and `redirect_uri` beside the object (OIDC Core §6.1). */
  const authorize = (request: string, params: Record<string, string> = {}, who = browser) =>
    who.get(
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'jar', response_type: 'code', scope: 'openid', redirect_uri: callback, request, ...params })}`,
    );
  return { ...w, browser, sign, authorize };
}

const redirectedTo = (response: Response) => new URL(response.headers.get('location')!);
const errorOf = (response: Response) => {
  const to = redirectedTo(response);
  return { at: to.origin + to.pathname, error: to.searchParams.get('error'), description: to.searchParams.get('error_description') };
};

describe('signed request objects (request)', () => {
  it('uses the parameters of a valid object over those sent beside it: redirect_uri, state and nonce', async () => {
    const w = await world();
    const response = await w.authorize(await w.sign({ state: 'from-object', nonce: 'n-012345', scope: 'openid email' }), { state: 'from-query' });
    const to = redirectedTo(response);
    expect(to.origin + to.pathname).toBe(other);
    expect(to.searchParams.get('state')).toBe('from-object');
    const code = to.searchParams.get('code')!;
    expect(code).toBeTruthy();
    const token = await w.fetch(`${issuer}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: other }).toString(),
      headers: { authorization: `Basic ${Buffer.from(`jar:${secret}`).toString('base64')}` },
    });
    expect(token.status).toBe(200);
    const { id_token: idToken, scope } = (await token.json()) as { id_token: string; scope: string };
    expect(decodeJwt(idToken).nonce).toBe('n-012345');
    expect(scope.split(' ').sort()).toEqual(['email', 'openid']);
  });

  it('keeps the object parameters through the login it waits for', async () => {
    const w = await world();
    const stranger = new Browser(w.fetch);
    const first = await w.authorize(await w.sign({ state: 'kept-state' }), {}, stranger);
    const login = redirectedTo(first);
    expect(login.pathname).toBe('/');
    expect((await stranger.login()).status).toBe(200);
    const resumed = redirectedTo(await stranger.get(login.searchParams.get('rd')!));
    expect(resumed.origin + resumed.pathname).toBe(other);
    expect(resumed.searchParams.get('state')).toBe('kept-state');
    expect(resumed.searchParams.get('code')).toBeTruthy();
  });

  it('takes the keys from the client jwks_uri', async () => {
    const w = await world();
    const response = await w.authorize(await w.sign({ state: 'state-jar' }, 'jar-uri'), { client_id: 'jar-uri' });
    expect(redirectedTo(response).searchParams.get('code')).toBeTruthy();
  });

  it('refuses a bad signature', async () => {
    const w = await world();
    const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(errorOf(await w.authorize(await w.sign({}, 'jar', impostor)))).toEqual({
      at: callback,
      error: 'invalid_request_object',
      description: "The request object's signature could not be verified with the client's keys.",
    });
  });

  it("refuses alg 'none'", async () => {
    const w = await world();
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${b64({ alg: 'none' })}.${b64({ client_id: 'jar', response_type: 'code', scope: 'openid', redirect_uri: other, iss: 'jar', aud: issuer })}.`;
    expect(errorOf(await w.authorize(unsigned))).toEqual({
      at: callback,
      error: 'invalid_request_object',
      description: "The request object must be signed; 'none' is not accepted.",
    });
  });

  it('refuses HS256 signed with the client public key as the secret', async () => {
    const w = await world();
    const forged = await w.sign({}, 'jar', new TextEncoder().encode(pem), { alg: 'HS256' });
    expect(errorOf(await w.authorize(forged))).toMatchObject({
      error: 'invalid_request_object',
      description: expect.stringMatching(/^The request object is signed with 'HS256'; accepted: RS256,/),
    });
    // Even a client that names no algorithm gets no HMAC: the key set holds public keys only.
    const forgedUri = await w.sign({}, 'jar-uri', new TextEncoder().encode(JSON.stringify(jar.jwk)), { alg: 'HS256' });
    expect(errorOf(await w.authorize(forgedUri, { client_id: 'jar-uri' })).error).toBe('invalid_request_object');
  });

  it('refuses a client_id inside that differs from the one beside it', async () => {
    const w = await world();
    expect(errorOf(await w.authorize(await w.sign({ client_id: 'confidential' }, 'jar')))).toEqual({
      at: callback,
      error: 'invalid_request_object',
      description: 'The client_id in the request object differs from the client_id of the request.',
    });
  });

  it('refuses another issuer, another audience, an expired object, a nested request, another response_type and an algorithm the client did not register', async () => {
    const w = await world();
    const refusal = async (request: string, params: Record<string, string> = {}) => errorOf(await w.authorize(request, params)).description;
    expect(await refusal(await w.sign({ iss: 'confidential' }))).toBe('The request object was issued by another client (iss).');
    expect(await refusal(await w.sign({ aud: 'https://elsewhere.example' }))).toBe(
      `The request object is meant for another audience (aud must name '${issuer}').`,
    );
    expect(await refusal(await w.sign({ exp: Math.floor(w.clock.now() / 1000) - 60 }))).toBe('The request object has expired.');
    expect(await refusal(await w.sign({ request_uri: 'https://rp.example/r' }))).toBe('The request object must not contain request or request_uri.');
    expect(await refusal(await w.sign({}, 'jar-es'), { client_id: 'jar-es' })).toBe("The request object is signed with 'RS256'; accepted: ES256.");
    expect(await refusal(await w.sign({}, 'jar', jar.privateKey, { typ: 'at+jwt' }))).toBe(
      "The request object's typ must be 'oauth-authz-req+jwt' but is 'at+jwt'.",
    );
    expect(await refusal('not-a-jwt')).toBe('The request object is not a JWT.');
    expect(await refusal(await w.sign({ response_type: 'id_token' }))).toBe(
      'The response_type in the request object differs from the response_type of the request.',
    );
  });

  it('shows the error page when the redirect_uri beside a refused object is not registered', async () => {
    const w = await world();
    const response = await w.authorize('not-a-jwt', { redirect_uri: 'https://evil.example/cb' });
    expect([response.status, response.headers.get('location')]).toEqual([400, null]);
    expect(await response.text()).toContain('invalid_request_object');
  });

  it('answers request_uri with request_uri_not_supported', async () => {
    const w = await world();
    const response = await w.browser.get(
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'jar', response_type: 'code', scope: 'openid', redirect_uri: callback, request_uri: 'https://rp.example/r' })}`,
    );
    expect(errorOf(response).error).toBe('request_uri_not_supported');
  });
});
