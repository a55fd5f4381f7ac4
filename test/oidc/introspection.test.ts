import { describe, expect, it } from 'vitest';
import {
  basicAuth,
  client,
  codeFlow,
  configFor,
  postForm,
  secret,
  seedAccessToken,
  seedRefreshToken,
  startTokenProvider,
  type TokenWorld,
} from './token-world.js';

const introspectionPath = '/api/oidc/introspection';

async function confidentialTokens(world: TokenWorld) {
  return codeFlow(world, await configFor(world, 'confidential'), 'openid profile email groups');
}

describe('introspection (RFC 7662) with openid-client', () => {
  it('describes an active access token of the calling client', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, config);
    const seconds = Math.floor(world.clock.now() / 1000);
    const answer = await client.tokenIntrospection(config, tokens.access_token);
    expect(answer).toEqual({
      active: true,
      scope: 'openid profile email groups',
      client_id: 'confidential',
      username: 'john',
      sub: tokens.claims()!.sub,
      aud: 'confidential',
      iss: 'http://auth.gatehouse.localhost',
      iat: seconds,
      exp: seconds + 3600,
      token_type: 'Bearer',
    });
  });

  it('answers {"active":false} for unknown, expired, revoked and another client’s tokens, and for nonsense', async () => {
    const world = await startTokenProvider();
    const tokens = await confidentialTokens(world);
    const other = await configFor(world, 'basic-only');
    // another client's token: never described
    expect(await client.tokenIntrospection(other, tokens.access_token)).toEqual({ active: false });
    const own = await configFor(world, 'confidential');
    for (const value of ['unknown-token', 'a.b.c', 'x'.repeat(4000)]) expect(await client.tokenIntrospection(own, value)).toEqual({ active: false });
    // revoked
    const second = await confidentialTokens(world);
    await client.tokenRevocation(own, second.access_token);
    expect(await client.tokenIntrospection(own, second.access_token)).toEqual({ active: false });
    // expired
    expect((await client.tokenIntrospection(own, tokens.access_token)).active).toBe(true);
    world.clock.advance(3600 * 1000);
    expect(await client.tokenIntrospection(own, tokens.access_token)).toEqual({ active: false });
    // userinfo agrees: expired and revoked tokens are refused there too
    for (const token of [tokens.access_token, second.access_token]) {
      const userinfo = await world.fetch('http://auth.gatehouse.localhost/api/oidc/userinfo', { headers: { authorization: `Bearer ${token}` } });
      expect(userinfo.status).toBe(401);
    }
  });

  it('lets a client marked introspect_any_token (a resource server) describe other clients’ tokens', async () => {
    const world = await startTokenProvider();
    const tokens = await confidentialTokens(world);
    const server = await configFor(world, 'resource-server');
    const answer = await client.tokenIntrospection(server, tokens.access_token);
    expect(answer).toMatchObject({ active: true, client_id: 'confidential', username: 'john' });
  });

  it('takes token_type_hint as a hint only, and describes refresh tokens (no token_type)', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, config);
    const refresh = await seedRefreshToken(world, tokens.access_token);
    // a wrong hint still finds the token
    expect((await client.tokenIntrospection(config, tokens.access_token, { token_type_hint: 'refresh_token' })).active).toBe(true);
    const described = await client.tokenIntrospection(config, refresh, { token_type_hint: 'access_token' });
    expect(described).toMatchObject({ active: true, client_id: 'confidential', username: 'john' });
    expect(described.token_type).toBeUndefined();
    expect((await client.tokenIntrospection(config, refresh, { token_type_hint: 'something_else' })).active).toBe(true);
  });

  it('is inactive once the user is removed from the users file or the client from the configuration', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, config);
    // the same token, stored for a user the users file does not have and for a client the configuration does not
    await seedAccessToken(world, tokens.access_token, 'ghost-user-token', { username: 'ghost' });
    await seedAccessToken(world, tokens.access_token, 'ghost-client-token', { clientId: 'removed-client' });
    const server = await configFor(world, 'resource-server');
    expect(await client.tokenIntrospection(server, 'ghost-user-token')).toEqual({ active: false });
    expect(await client.tokenIntrospection(server, 'ghost-client-token')).toEqual({ active: false });
  });
});

describe('introspection: client authentication and bad input', () => {
  it('authenticates the client as the token endpoint does, honouring introspection_endpoint_auth_method', async () => {
    const world = await startTokenProvider();
    const tokens = await confidentialTokens(world);
    const noAuth = await postForm(world, introspectionPath, { token: tokens.access_token });
    expect(noAuth.status).toBe(401);
    expect(((await noAuth.json()) as { error: string }).error).toBe('invalid_client');
    const wrong = await postForm(world, introspectionPath, { token: tokens.access_token }, { authorization: basicAuth('confidential', 'wrong') });
    expect(wrong.status).toBe(401);
    // post-only registered client_secret_post for introspection: Basic is refused, naming the key
    const basic = await postForm(world, introspectionPath, { token: 'x' }, { authorization: basicAuth('post-only') });
    expect(basic.status).toBe(401);
    expect(((await basic.json()) as { error_description: string }).error_description).toContain('introspection_endpoint_auth_method');
    const post = await postForm(world, introspectionPath, { token: 'x', client_id: 'post-only', client_secret: secret });
    expect(await post.json()).toEqual({ active: false });
    expect(post.headers.get('cache-control')).toBe('no-store');
    // and openid-client with client_secret_post
    const config = await configFor(world, 'post-only', client.ClientSecretPost(secret));
    expect(await client.tokenIntrospection(config, 'x')).toEqual({ active: false });
  });

  it('answers invalid_request in the OAuth shape for a missing or repeated token and a body that is not a form', async () => {
    const world = await startTokenProvider();
    const auth = { authorization: basicAuth('confidential') };
    const cases: [string, Response][] = [
      ['no token', await postForm(world, introspectionPath, {}, auth)],
      ['empty token', await postForm(world, introspectionPath, { token: '' }, auth)],
      ['repeated token', await postForm(world, introspectionPath, 'token=a&token=b', auth)],
      ['JSON body', await postForm(world, introspectionPath, '{"token":"a"}', { ...auth, 'content-type': 'application/json' })],
    ];
    for (const [name, response] of cases) {
      expect(response.status, name).toBe(400);
      expect(((await response.json()) as { error: string }).error, name).toBe('invalid_request');
    }
  });

  it('sends CORS headers only when cors.endpoints lists introspection', async () => {
    const world = await startTokenProvider({ cors: { endpoints: ['introspection'], allowed_origins: ['https://spa.example.com'] } });
    const origin = { origin: 'https://spa.example.com', authorization: basicAuth('confidential') };
    const answer = await postForm(world, introspectionPath, { token: 'x' }, origin);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://spa.example.com');
    const preflight = await world.fetch(`http://auth.gatehouse.localhost${introspectionPath}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example.com' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    const revocation = await postForm(world, '/api/oidc/revocation', { token: 'x' }, origin);
    expect(revocation.headers.get('access-control-allow-origin')).toBeNull();
  });
});
