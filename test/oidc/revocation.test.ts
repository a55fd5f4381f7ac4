import { describe, expect, it } from 'vitest';
import { issuer } from '../helpers/oidc.js';
import { basicAuth, client, codeFlow, configFor, postForm, secret, seedAccessToken, seedRefreshToken, startTokenProvider } from './token-world.js';

const revocationPath = '/api/oidc/revocation';

describe('revocation (RFC 7009) with openid-client', () => {
  it('revokes an access token, and only that token', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'confidential');
    const first = await codeFlow(world, config);
    const second = await codeFlow(world, config);
    await client.tokenRevocation(config, first.access_token);
    const userinfo = (token: string) => world.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect((await userinfo(first.access_token)).status).toBe(401);
    expect((await userinfo(second.access_token)).status).toBe(200);
    expect((await client.tokenIntrospection(config, first.access_token)).active).toBe(false);
    const [event] = await world.gateway.storage.oidc.auditTrail(1);
    expect(event).toMatchObject({ event: 'revocation', clientId: 'confidential', username: 'john', detail: 'access token: 1 token(s)' });
    // revoking again, or revoking what was never issued, is fine (RFC 7009 §2.2)
    await client.tokenRevocation(config, first.access_token);
    await client.tokenRevocation(config, 'never-issued');
  });

  it('revokes a refresh token with its grant: the access tokens of that authorisation die with it', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, config);
    const unrelated = await codeFlow(world, config);
    const refresh = await seedRefreshToken(world, tokens.access_token);
    await client.tokenRevocation(config, refresh, { token_type_hint: 'refresh_token' });
    expect((await client.tokenIntrospection(config, refresh)).active).toBe(false);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(config, unrelated.access_token)).active).toBe(true);
    const [event] = await world.gateway.storage.oidc.auditTrail(1);
    expect(event!.detail).toBe('refresh token: grant revoked, 2 token(s)');
  });

  it('never revokes another client’s token, and answers it like an unknown one', async () => {
    const world = await startTokenProvider();
    const victim = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, victim);
    const refresh = await seedRefreshToken(world, tokens.access_token);
    const attacker = await configFor(world, 'basic-only');
    await client.tokenRevocation(attacker, tokens.access_token);
    await client.tokenRevocation(attacker, refresh);
    const resourceServer = await configFor(world, 'resource-server'); // may introspect, not revoke
    await client.tokenRevocation(resourceServer, tokens.access_token);
    expect((await client.tokenIntrospection(victim, tokens.access_token)).active).toBe(true);
    expect((await client.tokenIntrospection(victim, refresh)).active).toBe(true);
    const foreign = await postForm(world, revocationPath, { token: tokens.access_token }, { authorization: basicAuth('basic-only') });
    const unknown = await postForm(world, revocationPath, { token: 'unknown' }, { authorization: basicAuth('basic-only') });
    expect([foreign.status, await foreign.text()]).toEqual([unknown.status, await unknown.text()]);
    expect((await world.gateway.storage.oidc.auditTrail(5)).map((e) => e.event)).not.toContain('revocation');
  });

  it('lets a public client revoke its own tokens with its client_id alone', async () => {
    const world = await startTokenProvider();
    const issued = await codeFlow(world, await configFor(world, 'confidential'));
    // public-app's redirect URI is its SPA's: its token is stored directly, as a flow would store it.
    await seedAccessToken(world, issued.access_token, 'public-token', { clientId: 'public-app' });
    const config = await configFor(world, 'public-app', client.None(), { client_secret: undefined });
    await client.tokenRevocation(config, 'public-token');
    expect((await client.tokenIntrospection(await configFor(world, 'resource-server'), 'public-token')).active).toBe(false);
  });
});

describe('revocation: client authentication and bad input', () => {
  it('refuses an unauthenticated request, honours revocation_endpoint_auth_method, and revokes nothing on bad input', async () => {
    const world = await startTokenProvider();
    const config = await configFor(world, 'confidential');
    const tokens = await codeFlow(world, config);
    const anonymous = await postForm(world, revocationPath, { token: tokens.access_token });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe('invalid_client');
    const wrongSecret = await postForm(world, revocationPath, { token: tokens.access_token }, { authorization: basicAuth('confidential', 'nope') });
    expect(wrongSecret.status).toBe(401);
    const basic = await postForm(world, revocationPath, { token: 'x' }, { authorization: basicAuth('post-only') });
    expect(((await basic.json()) as { error_description: string }).error_description).toContain('revocation_endpoint_auth_method');
    expect((await postForm(world, revocationPath, { token: 'x', client_id: 'post-only', client_secret: secret })).status).toBe(200);
    const auth = { authorization: basicAuth('confidential') };
    for (const body of ['', 'token=', `token=${tokens.access_token}&token=${tokens.access_token}`]) {
      const response = await postForm(world, revocationPath, body, auth);
      expect(response.status, body).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    }
    const json = await postForm(world, revocationPath, JSON.stringify({ token: tokens.access_token }), { ...auth, 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
  });
});
