import { describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { ask, flavours } from './ask.js';
import { startBearerWorld } from './bearer-world.js';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from './fixtures.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const invalidToken = /^Bearer error="invalid_token", error_description="[^"]+"$/;

describe('Bearer access tokens at forward-auth (gatehouse.bearer.authz)', () => {
  it.each(flavours)('%s: a client_credentials token with the scope and an audience covering the URL passes, as oauth2:client:<id>', async (flavour) => {
    const world = await startBearerWorld();
    const token = await world.machineToken('robot');
    // api.example.com lets only oauth2:client:robot in; the audience https://api.example.com/v1 covers /v1/…
    const allowed = await ask(world, flavour, 'https://api.example.com/v1/items?x=1', { headers: bearer(token) });
    expect(allowed.status).toBe(200);
    // As Authelia: no Remote-* identity headers for a client (there is no user)
    expect(allowed.headers['remote-user']).toBeUndefined();
    // the audience does not cover /v2, /v1x (not below /v1 on a segment boundary) or another port
    for (const url of ['https://api.example.com/v2', 'https://api.example.com/v1x', 'https://api.example.com:8443/v1']) {
      const refused = await ask(world, flavour, url, { headers: bearer(token) });
      expect(refused.status, url).toBe(401);
      expect(refused.headers['www-authenticate'], url).toMatch(invalidToken);
    }
  });

  it('matches rules by oauth2:client:<id>: another client with the same scope (Authelia’s name) is denied by the rules', async () => {
    const world = await startBearerWorld();
    const alias = await world.machineToken('alias-robot');
    const denied = await ask(world, 'forward-auth', 'https://api.example.com/v1', { headers: bearer(alias) });
    expect(denied.status).toBe(403);
    // a client is one factor: enough for the app, but not a group member for /admin (then deny)
    const robot = await world.machineToken('robot');
    expect((await ask(world, 'forward-auth', 'https://app.example.com/', { headers: bearer(robot) })).status).toBe(200);
    expect((await ask(world, 'forward-auth', 'https://app.example.com/admin', { headers: bearer(robot) })).status).toBe(403);
    expect(world.logs()).toContain('oauth2:client:robot');
  });

  it.each(flavours)('%s: a user-delegated token is the user: groups from the users file, Remote-* headers, their factors', async (flavour) => {
    const world = await startBearerWorld();
    const john = await world.userToken('john');
    const admin = await ask(world, flavour, 'https://app.example.com/admin/panel', { headers: bearer(john) });
    expect(admin.status).toBe(200);
    expect(admin.headers).toMatchObject({
      'remote-user': 'john',
      'remote-groups': 'admins,dev',
      'remote-name': 'John Doe',
      'remote-email': 'john@example.com',
    });
    const bob = await world.userToken('bob');
    expect((await ask(world, flavour, 'https://app.example.com/admin', { headers: bearer(bob) })).status).toBe(403);
    expect((await ask(world, flavour, 'https://app.example.com/', { headers: bearer(bob) })).headers['remote-user']).toBe('bob');
    // one factor is not enough for the two_factor site: 401, never a redirect
    const weak = await ask(world, flavour, 'https://secure.example.com/', { headers: bearer(john) });
    expect(weak.status).toBe(401);
    expect(weak.headers.location).toBeUndefined();
    expect(weak.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_user_authentication"/);
    const strong = await world.userToken('john', { twoFactor: true });
    expect((await ask(world, flavour, 'https://secure.example.com/', { headers: bearer(strong) })).status).toBe(200);
  });

  it.each(flavours)('%s: refuses a token without the scope, with a wrong audience, expired, revoked or malformed: 401 invalid_token', async (flavour) => {
    const world = await startBearerWorld();
    const robot = await world.machineToken('robot');
    const expired = await world.seed(robot, 'expired-token', { expiresAt: Date.now() - 1000 });
    const revoked = await world.machineToken('robot');
    await client.tokenRevocation(await world.clientConfig('robot'), revoked);
    const user = await world.userToken('john', { scope: 'openid groups' });
    const cases: [string, string][] = [
      ['no scope (client credentials)', await world.machineToken('no-scope-robot')],
      ['no scope (user)', user],
      ['wrong audience', await world.machineToken('alias-robot')],
      ['expired', expired],
      ['revoked', revoked],
      ['unknown', 'x'.repeat(43)],
    ];
    for (const [name, token] of cases) {
      const answer = await ask(world, flavour, 'https://app.example.com/', { headers: bearer(token) });
      expect(answer.status, name).toBe(401);
      expect(answer.headers['www-authenticate'], name).toMatch(invalidToken);
      expect(answer.headers.location, name).toBeUndefined();
      expect(answer.headers['remote-user'], name).toBeUndefined();
    }
    const malformed = await ask(world, flavour, 'https://app.example.com/', { headers: { authorization: 'Bearer a b c' } });
    expect(malformed.status).toBe(401);
    expect(malformed.headers['www-authenticate']).toMatch(invalidToken);
    // the genuine token still passes
    expect((await ask(world, flavour, 'https://app.example.com/', { headers: bearer(robot) })).status).toBe(200);
  });

  it.each(flavours)('%s: a session cookie and a bearer token together are refused with 401; each alone passes', async (flavour) => {
    const world = await startBearerWorld();
    const token = await world.machineToken('robot');
    const cookie = cookieHeader(world, await loginFirstFactor(world, 'john'));
    expect((await ask(world, flavour, 'https://app.example.com/', { headers: { cookie } })).status).toBe(200);
    expect((await ask(world, flavour, 'https://app.example.com/', { headers: bearer(token) })).status).toBe(200);
    const both = await ask(world, flavour, 'https://app.example.com/', { headers: { cookie, ...bearer(token) } });
    expect(both.status).toBe(401);
    expect(both.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request"/);
    expect(both.headers['remote-user']).toBeUndefined();
  });

  it('leaves a bearer token alone on a site that is bypass for everyone (it may be the application’s own)', async () => {
    const world = await startBearerWorld();
    const answer = await ask(world, 'forward-auth', 'https://public.example.com/', { headers: bearer('the-application-own-token') });
    expect(answer.status).toBe(200);
  });

  it('ignores Bearer headers when no client may ask for the bearer scope (as before)', async () => {
    const world = await startAuthzGateway({
      identity_providers: {
        oidc: {
          hmac_secret: 'a-very-long-hmac-secret-for-bearer-tests',
          clients: [{ client_id: 'app', client_secret: 'a-secret-of-sorts-0123456789', redirect_uris: ['https://app.example.com/cb'] }],
        },
      },
    });
    const answer = await ask(world, 'forward-auth', 'https://app.example.com/', { headers: bearer('anything') });
    expect(answer.status).toBe(302);
    const noProvider = await startAuthzGateway();
    expect((await ask(noProvider, 'auth-request', 'https://app.example.com/', { headers: bearer('anything') })).status).toBe(401);
    expect((await ask(noProvider, 'auth-request', 'https://app.example.com/', { headers: bearer('anything') })).headers['www-authenticate']).toBeUndefined();
  });

  it('legacy /api/verify: Proxy-Authorization Basic comes first; ?auth=basic never reads a bearer token', async () => {
    const world = await startBearerWorld();
    const token = await world.machineToken('robot');
    const basicOnly = await ask(world, 'legacy', 'https://app.example.com/', { headers: bearer(token), query: 'auth=basic' });
    expect(basicOnly.status).toBe(401);
    expect(basicOnly.headers['www-authenticate']).toMatch(/^Basic /);
  });
});
