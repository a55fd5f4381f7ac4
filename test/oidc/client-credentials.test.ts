import { describe, expect, it } from 'vitest';
import { basicAuth, client, configFor, hasher, postForm, startTokenProvider } from './token-world.js';

const tokenPath = '/api/oidc/token';
const errorOf = async (response: Response) => ((await response.json()) as { error: string; error_description: string }).error;

describe('client_credentials (RFC 6749 §4.4) with openid-client', () => {
  it('issues an access token to a confidential client: its scopes, never openid, no refresh or ID token', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'service');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'gatehouse.bearer.authz profile' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('gatehouse.bearer.authz profile');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
    // No scope: the client's scopes but openid.
    const implicit = await client.clientCredentialsGrant(config);
    expect(implicit.scope).toBe('gatehouse.bearer.authz profile');
    const described = await client.tokenIntrospection(config, tokens.access_token);
    expect(described).toMatchObject({
      active: true,
      client_id: 'service',
      sub: 'service',
      aud: ['https://app.gatehouse.localhost', 'https://api.gatehouse.localhost/v1'],
      scope: 'gatehouse.bearer.authz profile',
    });
    expect(described.username).toBeUndefined();
    // The grant row has no user, and the token is opaque.
    const stored = await world.gateway.storage.oidc.findToken(hasher.hash('access', tokens.access_token));
    expect(stored).toMatchObject({ username: '', subject: 'service', format: 'opaque' });
    expect(await world.gateway.storage.oidc.findGrant(stored!.grantId)).toMatchObject({ username: '', clientId: 'service', subject: 'service' });
    // Userinfo has no user to describe: the token lacks openid.
    const userinfo = await world.fetch('http://auth.gatehouse.localhost/api/oidc/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(403);
  });

  it('narrows the audience to a requested subset, and refuses an audience the client does not have', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'service');
    const narrowed = await client.clientCredentialsGrant(config, { audience: 'https://api.gatehouse.localhost/v1' });
    expect((await client.tokenIntrospection(config, narrowed.access_token)).aud).toBe('https://api.gatehouse.localhost/v1');
    const wider = await postForm(
      world,
      tokenPath,
      { grant_type: 'client_credentials', audience: 'https://evil.example.com' },
      { authorization: basicAuth('service') },
    );
    expect(wider.status).toBe(400);
    expect(await errorOf(wider)).toBe('invalid_request');
    // a URL below a registered audience is not the registered audience
    const below = await postForm(
      world,
      tokenPath,
      { grant_type: 'client_credentials', audience: 'https://app.gatehouse.localhost/x' },
      { authorization: basicAuth('service') },
    );
    expect(below.status).toBe(400);
  });

  it('refuses scopes the client does not have, and openid / offline_access, with invalid_scope; nothing issued', async () => {
    const world = await startTokenProvider();
    const before = (await world.gateway.storage.oidc.auditTrail(50)).length;
    for (const scope of ['email', 'openid', 'gatehouse.bearer.authz offline_access', 'openid profile']) {
      const response = await postForm(world, tokenPath, { grant_type: 'client_credentials', scope }, { authorization: basicAuth('service') });
      expect(response.status, scope).toBe(400);
      expect(await errorOf(response), scope).toBe('invalid_scope');
    }
    expect((await world.gateway.storage.oidc.auditTrail(50)).length).toBe(before);
  });

  it('refuses a public client (unauthorized_client), a client without the grant, and a wrong secret', async () => {
    const world = await startTokenProvider();
    const publicClient = await postForm(world, tokenPath, { grant_type: 'client_credentials', client_id: 'public-app' });
    expect(publicClient.status).toBe(400);
    expect(await errorOf(publicClient)).toBe('unauthorized_client');
    const withoutGrant = await postForm(world, tokenPath, { grant_type: 'client_credentials' }, { authorization: basicAuth('confidential') });
    expect(await errorOf(withoutGrant)).toBe('unauthorized_client');
    const wrongSecret = await postForm(world, tokenPath, { grant_type: 'client_credentials' }, { authorization: basicAuth('service', 'wrong') });
    expect(wrongSecret.status).toBe(401);
    expect(await errorOf(wrongSecret)).toBe('invalid_client');
    const publicConfig = await configFor(world, 'public-app', client.None(), { client_secret: undefined });
    await expect(client.clientCredentialsGrant(publicConfig)).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it('uses lifespans.custom.<name>.grants.client_credentials for the access token', async () => {
    const world = await startTokenProvider({
      lifespans: { custom: { machines: { access_token: '2h', grants: { client_credentials: { access_token: '5m' } } } } },
      clients: [
        {
          client_id: 'service',
          client_secret: 'confidential-client-secret-0123456789',
          redirect_uris: ['http://app.gatehouse.localhost/callback'],
          grant_types: ['client_credentials'],
          scopes: ['gatehouse.bearer.authz'],
          lifespan: 'machines',
        },
      ],
    });
    const tokens = await client.clientCredentialsGrant(await configFor(world, 'service'));
    expect(tokens.expires_in).toBe(300);
  });
});
