import { createHash } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { describe, expect, it } from 'vitest';
import { Browser, callback, clientKeys, issuer, secret, startProvider } from '../helpers/oidc.js';

const verifier = 'w'.repeat(50);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const tokenUrl = `${issuer}/api/oidc/token`;
const basic = (id: string, s = secret) => `Basic ${Buffer.from(`${id}:${s}`).toString('base64')}`;

async function world() {
  const w = await startProvider();
  const browser = new Browser(w.fetch);
  await browser.login();
  w.clock.advance(1000);
  const code = async (params: Record<string, string> = {}) => {
    const response = await browser.get(
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid email', ...params })}`,
    );
    return new URL(response.headers.get('location')!).searchParams.get('code')!;
  };
  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    w.fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: callback, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  const userinfo = (accessToken: string) => w.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { ...w, browser, code, token, userinfo };
}

const errorOf = async (response: Response) => (await response.json()) as { error: string; error_description: string };

describe('token endpoint', () => {
  it('exchanges a code once; a second use is invalid_grant and revokes the tokens issued from it', async () => {
    const w = await world();
    const code = await w.code();
    const first = await w.token({ code }, { authorization: basic('confidential') });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const tokens = (await first.json()) as { access_token: string; token_type: string; expires_in: number; id_token: string };
    expect([tokens.token_type, tokens.expires_in]).toEqual(['Bearer', 3600]);
    expect((await w.userinfo(tokens.access_token)).status).toBe(200);
    const again = await w.token({ code }, { authorization: basic('confidential') });
    expect(again.status).toBe(400);
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect((await errorOf(again)).error).toBe('invalid_grant');
    const revoked = await w.userinfo(tokens.access_token);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const trail = await w.gateway.storage.oidc.auditTrail(10);
    expect(trail.map((e) => e.event)).toEqual(['code_reuse', 'access_token', 'code']);
    expect(trail[0]!.detail).toBe('revoked 1 token(s)');
  });

  it('stores codes and access tokens only as hashes', async () => {
    const w = await world();
    const code = await w.code();
    const { access_token: accessToken } = (await (await w.token({ code }, { authorization: basic('confidential') })).json()) as { access_token: string };
    const db = (w.gateway.storage as unknown as { db: import('better-sqlite3').Database }).db;
    const dump = JSON.stringify([db.prepare('SELECT * FROM oidc_tokens').all(), db.prepare('SELECT * FROM oidc_authorization_codes').all()]);
    expect(dump).not.toContain(accessToken);
    expect(dump).not.toContain(code);
  });

  it("refuses an expired code, another client's code and a different redirect_uri", async () => {
    const w = await world();
    const expired = await w.code();
    w.clock.advance(61_000);
    expect(await errorOf(await w.token({ code: expired }, { authorization: basic('confidential') }))).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code has expired.',
    });
    const stolen = await w.code();
    const other = await w.token({ code: stolen }, { authorization: basic('explicit') });
    expect(await errorOf(other)).toEqual({ error: 'invalid_grant', error_description: 'The authorization code was issued to another client.' });
    const moved = await w.code();
    expect((await errorOf(await w.token({ code: moved, redirect_uri: `${callback}/` }, { authorization: basic('confidential') }))).error).toBe('invalid_grant');
  });

  it.each([
    ['a missing verifier', { code_challenge: challenge, code_challenge_method: 'S256' }, {}],
    ['a wrong verifier', { code_challenge: challenge, code_challenge_method: 'S256' }, { code_verifier: 'x'.repeat(50) }],
    ['a verifier for a code issued without a challenge (downgrade)', {}, { code_verifier: verifier }],
  ])('refuses %s with invalid_grant', async (_name, authorizeParams, tokenParams) => {
    const w = await world();
    const code = await w.code(authorizeParams);
    expect((await errorOf(await w.token({ code, ...tokenParams }, { authorization: basic('confidential') }))).error).toBe('invalid_grant');
  });

  it('accepts the right verifier', async () => {
    const w = await world();
    const code = await w.code({ code_challenge: challenge, code_challenge_method: 'S256' });
    expect((await w.token({ code, code_verifier: verifier }, { authorization: basic('confidential') })).status).toBe(200);
  });

  it('authenticates with basic or post for a client without a method, and names the method otherwise', async () => {
    const w = await world();
    expect((await w.token({ code: await w.code(), client_id: 'confidential', client_secret: secret })).status).toBe(200);
    const wrong = await w.token({ code: await w.code() }, { authorization: basic('confidential', 'wrong-secret') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
    expect((await errorOf(wrong)).error).toBe('invalid_client');
    const strict = await w.token({ code: await w.code({ client_id: 'basic-only' }), client_id: 'basic-only', client_secret: secret });
    expect(await errorOf(strict)).toEqual({
      error: 'invalid_client',
      error_description:
        "Client authentication failed: the client used 'client_secret_post' but is registered for 'client_secret_basic' (token_endpoint_auth_method).",
    });
    // The $pbkdf2-sha512$ digest verifies (twice: the second time from the cache).
    for (let i = 0; i < 2; i++)
      expect((await w.token({ code: await w.code({ client_id: 'basic-only' }) }, { authorization: basic('basic-only') })).status).toBe(200);
    const both = await w.token({ code: await w.code(), client_secret: secret }, { authorization: basic('confidential') });
    expect((await errorOf(both)).error).toBe('invalid_request');
    expect(
      (
        await errorOf(
          await w.token({
            code: await w.code({
              client_id: 'public-app',
              redirect_uri: 'http://app.gatehouse.localhost/spa',
              code_challenge: challenge,
              code_challenge_method: 'S256',
            }),
            client_id: 'confidential',
          }),
        )
      ).error,
    ).toBe('invalid_client');
  });

  it('accepts client_secret_jwt and private_key_jwt assertions once (jti replay refused)', async () => {
    const w = await world();
    const now = Math.floor(w.clock.now() / 1000);
    const hs = await new SignJWT({ jti: 'hs-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('hs-jwt')
      .setSubject('hs-jwt')
      .setAudience(tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(secret));
    const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    const use = async (clientId: string, assertion: string) =>
      w.token({ code: await w.code({ client_id: clientId }), client_assertion_type: assertionType, client_assertion: assertion });
    expect((await use('hs-jwt', hs)).status).toBe(200);
    const replay = await use('hs-jwt', hs);
    expect((await errorOf(replay)).error_description).toMatch(/jti replay/);
    const key = await importPKCS8(clientKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
    const pk = await new SignJWT({ jti: 'pk-1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rp1' })
      .setIssuer('pk-jwt')
      .setSubject('pk-jwt')
      .setAudience(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    expect((await use('pk-jwt', pk)).status).toBe(200);
    expect((await use('pk-jwt', pk)).status).toBe(401);
    const forged = await new SignJWT({ jti: 'pk-2' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('pk-jwt')
      .setSubject('pk-jwt')
      .setAudience(issuer)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(secret));
    expect((await errorOf(await use('pk-jwt', forged))).error).toBe('invalid_client');
  });

  it('refuses other grant types, JSON bodies and answers userinfo only for openid tokens', async () => {
    const w = await world();
    expect((await errorOf(await w.token({ grant_type: 'password' }, { authorization: basic('confidential') }))).error).toBe('unsupported_grant_type');
    const json = await w.fetch(tokenUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: basic('confidential') } });
    expect((await errorOf(json)).error).toBe('invalid_request');
    expect((await w.userinfo('not-a-token')).status).toBe(401);
    const code = await w.code();
    const { access_token: accessToken } = (await (await w.token({ code }, { authorization: basic('confidential') })).json()) as { access_token: string };
    const viaBody = await w.fetch(`${issuer}/api/oidc/userinfo`, {
      method: 'POST',
      body: `access_token=${accessToken}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await viaBody.json()).toMatchObject({ email: 'john.doe@gatehouse.localhost', email_verified: true });
    w.clock.advance(3_600_001);
    expect((await w.userinfo(accessToken)).status).toBe(401);
  });
});

describe('unexpected failures', () => {
  it('answer server_error with a generic description, never the cause', async () => {
    const w = await world();
    const code = await w.code();
    // Storage gone mid-flight: the repository throws a database error inside the endpoint.
    await w.gateway.storage.close();
    const reply = await w.token({ code }, { authorization: basic('confidential') });
    expect(reply.status).toBe(500);
    const body = await reply.text();
    expect(JSON.parse(body)).toEqual({ error: 'server_error', error_description: 'The server could not complete the request.' });
    expect(body).not.toMatch(/database|sqlite|open/i);
  });
});
