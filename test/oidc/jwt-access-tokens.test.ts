import { generateKeyPair, SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ask } from '../authz/ask.js';
import { basicAuth, client, codeFlow, configFor, issuer, postForm, startTokenProvider, type TokenWorld } from './token-world.js';

async function publishedKeys(world: TokenWorld) {
  return createLocalJWKSet((await (await world.fetch(`${issuer}/jwks.json`)).json()) as JSONWebKeySet);
}

const userinfo = (world: TokenWorld, token: string) => world.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${token}` } });

/** Forward-auth for the provider's own world (rules of helpers/portal.ts: app.gatehouse.localhost is one_factor). */
const forwardAuth = (world: TokenWorld, token: string) =>
  ask({ ...world, logs: () => '' }, 'forward-auth', 'http://app.gatehouse.localhost/', { headers: { authorization: `Bearer ${token}` } });

describe('JWT access tokens (RFC 9068)', () => {
  it('are signed with the provider key (typ at+jwt) and carry the user, client, scope, audience and policy claims', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'jwt-app');
    const tokens = await codeFlow(world, config, 'openid profile email groups gatehouse.bearer.authz');
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256', kid: expect.any(String) });
    const { payload } = await jwtVerify(tokens.access_token, await publishedKeys(world), {
      typ: 'at+jwt',
      issuer,
      audience: 'http://app.gatehouse.localhost',
      currentDate: new Date(world.clock.now()),
    });
    const seconds = Math.floor(world.clock.now() / 1000);
    expect(payload).toEqual({
      iss: issuer,
      sub: tokens.claims()!.sub,
      aud: ['jwt-app', 'http://app.gatehouse.localhost'],
      iat: seconds,
      exp: seconds + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      client_id: 'jwt-app',
      scope: 'openid profile email groups gatehouse.bearer.authz',
      auth_time: seconds - 1,
      amr: ['pwd'],
      // claims_policies.in-access-token.access_token: groups, email, name (released by the scopes)
      groups: ['admins', 'dev'],
      email: 'john.doe@gatehouse.localhost',
      name: 'John <Doe>',
    });
    // The same token works at userinfo and introspection, which names its jti.
    expect((await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).preferred_username).toBe('john');
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, jti: payload.jti, username: 'john' });
  });

  it('for client credentials: sub is the client id, no user claims', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'jwt-app');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'gatehouse.bearer.authz' });
    const { payload } = await jwtVerify(tokens.access_token, await publishedKeys(world), { typ: 'at+jwt', currentDate: new Date(world.clock.now()) });
    expect(payload).toMatchObject({ sub: 'jwt-app', client_id: 'jwt-app', aud: 'http://app.gatehouse.localhost', scope: 'gatehouse.bearer.authz' });
    expect(payload.auth_time).toBeUndefined();
    expect(payload.groups).toBeUndefined();
  });

  it('once revoked, are refused by userinfo, introspection and forward-auth although the signature still verifies', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'jwt-app');
    const tokens = await codeFlow(world, config, 'openid groups gatehouse.bearer.authz');
    expect((await userinfo(world, tokens.access_token)).status).toBe(200);
    expect((await forwardAuth(world, tokens.access_token)).status).toBe(200);
    await client.tokenRevocation(config, tokens.access_token);
    await jwtVerify(tokens.access_token, await publishedKeys(world), { typ: 'at+jwt', currentDate: new Date(world.clock.now()) });
    const refused = await userinfo(world, tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    const authz = await forwardAuth(world, tokens.access_token);
    expect(authz.status).toBe(401);
    expect(authz.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('are refused when expired, forged, of another type (an ID token), or presented by their jti alone', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'jwt-app');
    const tokens = await codeFlow(world, config, 'openid groups gatehouse.bearer.authz');
    expect((await forwardAuth(world, tokens.access_token)).status).toBe(200);
    const { jti } = decodeJwt(tokens.access_token);
    // forged: same claims, another key (the kid of the real one)
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(tokens.access_token))
      .setProtectedHeader({ ...decodeProtectedHeader(tokens.access_token), alg: 'RS256' } as never)
      .sign(privateKey);
    for (const [name, value] of [
      ['forged', forged],
      ['ID token', tokens.id_token!],
      ['jti alone', String(jti)],
    ] as const) {
      expect((await userinfo(world, value)).status, name).toBe(401);
      expect((await client.tokenIntrospection(config, value)).active, name).toBe(false);
      expect((await forwardAuth(world, value)).status, name).toBe(401);
    }
    world.clock.advance(3600 * 1000);
    expect((await userinfo(world, tokens.access_token)).status).toBe(401);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await forwardAuth(world, tokens.access_token)).status).toBe(401);
  });

  it('stores only the HMAC of the jti, never the token', async () => {
    const world = await startTokenProvider();
    const tokens = await client.clientCredentialsGrant(await configFor(world, 'jwt-app'));
    const db = (world.gateway.storage as unknown as { db: import('better-sqlite3').Database }).db;
    const rows = db.prepare("SELECT token_hash, format FROM oidc_tokens WHERE format = 'jwt'").all() as { token_hash: string }[];
    expect(rows).toHaveLength(1);
    const dump = JSON.stringify(db.prepare('SELECT * FROM oidc_tokens').all());
    expect(dump).not.toContain(String(decodeJwt(tokens.access_token).jti));
    expect(dump).not.toContain(tokens.access_token.split('.')[2]!);
    // The opaque token endpoint path is unchanged for other clients.
    const opaque = await postForm(world, '/api/oidc/token', { grant_type: 'client_credentials' }, { authorization: basicAuth('service') });
    expect(((await opaque.json()) as { access_token: string }).access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
