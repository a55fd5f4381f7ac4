import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { callback, clientKeys, issuer } from '../helpers/oidc.js';
import { codeFlow, configFor, postForm, startTokenProvider, tokenClients, type TokenWorld } from './token-world.js';

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const introspection = `${issuer}/api/oidc/introspection`;

/** An authorization request of the 'confidential' client (implicit consent): refused or sent on before any login. */
function authorize(world: TokenWorld, params: Record<string, string>) {
  const query = new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid', ...params });
  return world.fetch(`${issuer}/api/oidc/authorization?${query}`);
}

/** A private_key_jwt assertion of 'pk-jwt' for the introspection endpoint. */
function assertion(world: TokenWorld, key: KeyObject, alg: string, jti: string) {
  const now = Math.floor(world.clock.now() / 1000);
  return new SignJWT({ jti })
    .setProtectedHeader({ alg, kid: 'rp1' })
    .setIssuer('pk-jwt')
    .setSubject('pk-jwt')
    .setAudience(introspection)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key);
}

const introspect = (world: TokenWorld, jwt: string) =>
  postForm(world, '/api/oidc/introspection', { token: 'x'.repeat(43), client_assertion_type: assertionType, client_assertion: jwt });

describe('minimum_parameter_entropy', () => {
  it('refuses a state or nonce shorter than 8 characters with invalid_request, echoing the state', async () => {
    const world = await startTokenProvider();
    for (const [params, name] of [
      [{ state: 'short' }, 'state'],
      [{ state: 'long-enough', nonce: 'n1' }, 'nonce'],
    ] as const) {
      const location = new URL((await authorize(world, params)).headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(callback);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toContain(`The ${name} must be at least 8 characters long`);
      expect(location.searchParams.get('state')).toBe(params.state);
    }
  });

  it('lets a long enough state and nonce, or none at all, through to the login', async () => {
    const world = await startTokenProvider();
    for (const params of [{ state: '12345678', nonce: 'abcdefgh' }, {}] as Record<string, string>[]) {
      const location = (await authorize(world, params)).headers.get('location')!;
      expect(location).not.toContain('error=');
      expect(new URL(location, issuer).origin).toBe(issuer);
    }
  });

  it('follows the configured minimum, and -1 turns the check off', async () => {
    const strict = await startTokenProvider({ minimum_parameter_entropy: 20 });
    expect((await authorize(strict, { state: '12345678' })).headers.get('location')).toContain('error=invalid_request');
    const off = await startTokenProvider({ minimum_parameter_entropy: -1 });
    expect((await authorize(off, { state: 's', nonce: 'n' })).headers.get('location')).not.toContain('error=');
  });
});

describe('enable_client_debug_messages', () => {
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  it('is off by default: a refused assertion says why only in the log', async () => {
    const world = await startTokenProvider();
    const response = await introspect(world, await assertion(world, stranger, 'RS256', 'j1'));
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.error).toBe('invalid_client');
    expect(body).not.toHaveProperty('error_debug');
  });

  it('when true, adds error_debug with the detail', async () => {
    const world = await startTokenProvider({ enable_client_debug_messages: true });
    const response = await introspect(world, await assertion(world, stranger, 'RS256', 'j2'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client', error_debug: 'signature verification failed' });
  });

  it('when true, authorization error redirects carry error_debug only where there is a detail', async () => {
    const world = await startTokenProvider({ enable_client_debug_messages: true });
    const location = new URL((await authorize(world, { state: 'short' })).headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.has('error_debug')).toBe(false);
  });
});

describe('<endpoint>_endpoint_auth_signing_alg', () => {
  const withAlg = (alg: string) =>
    startTokenProvider({
      clients: tokenClients().map((c) => (c.client_id === 'pk-jwt' ? { ...c, introspection_endpoint_auth_signing_alg: alg } : c)),
    });

  it('accepts an assertion signed with the registered algorithm and refuses one the key verifies under another', async () => {
    const rs = await withAlg('RS256');
    const accepted = await introspect(rs, await assertion(rs, clientKeys.privateKey, 'RS256', 'a1'));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ active: false });
    const ps = await withAlg('PS256');
    const refused = await introspect(ps, await assertion(ps, clientKeys.privateKey, 'RS256', 'a2'));
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as Record<string, unknown>).error).toBe('invalid_client');
  });

  it('without it, the same assertion is accepted', async () => {
    const world = await startTokenProvider();
    expect((await introspect(world, await assertion(world, clientKeys.privateKey, 'RS256', 'b1'))).status).toBe(200);
  });
});

describe('*_signed_response_key_id', () => {
  const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwks = [
    { key_id: 'first', algorithm: 'RS256', key: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) },
    { key_id: 'second', algorithm: 'RS256', key: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) },
    { key_id: 'p256', algorithm: 'ES256', key: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) },
  ];
  const keyed = { id_token_signed_response_key_id: 'second', access_token_signed_response_key_id: 'p256', userinfo_signed_response_key_id: 'second' };

  it('signs ID tokens, JWT access tokens and userinfo with the named key; other clients with the first key of the algorithm', async () => {
    const world = await startTokenProvider({ jwks, clients: tokenClients().map((c) => (c.client_id === 'jwt-app' ? { ...c, ...keyed } : c)) });
    const config = await configFor(world, 'jwt-app');
    const tokens = await codeFlow(world, config, 'openid profile');
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ kid: 'second', alg: 'RS256' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ kid: 'p256', alg: 'ES256', typ: 'at+jwt' });
    const userinfo = await world.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.headers.get('content-type')).toContain('application/jwt');
    expect(decodeProtectedHeader(await userinfo.text())).toMatchObject({ kid: 'second' });

    const plain = await codeFlow(world, await configFor(world, 'confidential'), 'openid');
    expect(decodeProtectedHeader(plain.id_token!)).toMatchObject({ kid: 'first', alg: 'RS256' });
  });
});
