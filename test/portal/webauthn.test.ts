import { describe, expect, it } from 'vitest';
import { lastCode, PortalClient, portalOrigin, startPortal } from '../helpers/portal.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

type World = Awaited<ReturnType<typeof startPortal>>;

/** Signs `client` in with a password and passes the e-mailed identity check for registering keys. */
async function verified(world: World, client: PortalClient, user = 'john', password = 'password') {
  expect((await client.login(user, password)).status).toBe(200);
  expect((await client.postJson('/api/secondfactor/webauthn/identity/start', {})).status).toBe(200);
  expect((await client.postJson('/api/secondfactor/webauthn/identity/finish', { code: lastCode(world.notifications) })).status).toBe(200);
}

/** Registers `key` for the signed-in, identity-checked user of `client`. */
async function register(client: PortalClient, key: SoftAuthenticator, description = 'My key', origin = portalOrigin) {
  const start = await client.sendJson('PUT', '/api/secondfactor/webauthn/credential/register', { description });
  expect(start.status, start.body).toBe(200);
  const { publicKey } = start.json().data;
  return client.postJson('/api/secondfactor/webauthn/credential/register', { response: key.create(publicKey, origin) });
}

/** Signs in with `key` as the second factor. */
async function useKey(client: PortalClient, key: SoftAuthenticator, override: { counter?: number } = {}, body: Record<string, unknown> = {}) {
  const options = await client.get('/api/secondfactor/webauthn');
  expect(options.status, options.body).toBe(200);
  const answer = key.get(options.json().data.publicKey, portalOrigin, override);
  return { answer, reply: await client.postJson('/api/secondfactor/webauthn', { response: answer, ...body }) };
}

const level = async (client: PortalClient) => (await client.get('/api/state')).json().data.authentication_level;

describe('WebAuthn second factor (issue 15)', () => {
  it('registers a key after the e-mailed identity check, then uses it as the second factor', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    const key = new SoftAuthenticator({ attachment: 'cross-platform' });

    // Without the identity check: refused with a message that says what is missing.
    expect((await client.login()).status).toBe(200);
    const early = await client.sendJson('PUT', '/api/secondfactor/webauthn/credential/register', { description: 'My key' });
    expect(early.status).toBe(403);
    expect(early.json().message).toMatch(/Confirm it is you first/);
    expect((await client.postJson('/api/secondfactor/webauthn/identity/start', {})).json()).toEqual({
      status: 'OK',
      data: { sentTo: 'j•••@gatehouse.localhost', delete_id: expect.any(String) },
    });
    expect((await client.postJson('/api/secondfactor/webauthn/identity/finish', { code: 'WRONG' })).status).toBe(401);
    expect((await client.postJson('/api/secondfactor/webauthn/identity/finish', { code: lastCode(world.notifications) })).status).toBe(200);

    // A bad name, then the key: stored, and the session now holds two factors.
    expect((await client.sendJson('PUT', '/api/secondfactor/webauthn/credential/register', { description: '   ' })).status).toBe(400);
    const saved = await register(client, key, 'YubiKey');
    expect(saved.status, saved.body).toBe(201);
    expect(await level(client)).toBe(2);
    const stored = await world.gateway.storage.webauthn.list('john');
    expect(stored).toMatchObject([{ description: 'YubiKey', rpId: 'gatehouse.localhost', signCount: 0 }]);
    // The same name twice is refused.
    const again = await client.sendJson('PUT', '/api/secondfactor/webauthn/credential/register', { description: 'yubikey' });
    expect(again.status).toBe(409);

    // A new sign-in: one factor, then the key.
    const fresh = new PortalClient(world.gateway);
    expect((await fresh.login()).status).toBe(200);
    expect(await level(fresh)).toBe(1);
    const { reply } = await useKey(fresh, key, {}, { targetURL: 'http://secure.gatehouse.localhost/vault' });
    expect(reply.status, reply.body).toBe(200);
    expect(reply.json()).toEqual({ status: 'OK', data: { redirect: 'http://secure.gatehouse.localhost/vault' } });
    expect(await level(fresh)).toBe(2);
    expect((await world.gateway.storage.webauthn.list('john'))[0]?.signCount).toBe(1);
    await world.gateway.close();
  });

  it('a password alone cannot add a second factor next to an existing one (a key, or an app)', async () => {
    // Four elevation starts from one address: the rate limit in front (3 per code lifespan) is off to reach the check itself.
    const world = await startPortal({
      server: { address: 'tcp://127.0.0.1:0', endpoints: { rate_limits: { session_elevation_start: { enable: false } } } },
    });
    const client = new PortalClient(world.gateway);
    await verified(world, client);
    expect((await register(client, new SoftAuthenticator())).status).toBe(201);
    // john has a key: a new password-only session may not set up an authenticator app, nor another key.
    const thief = new PortalClient(world.gateway);
    expect((await thief.login()).status).toBe(200);
    const app = await thief.postJson('/api/secondfactor/totp/identity/start', {});
    expect(app.status).toBe(403);
    expect(app.json().message).toMatch(/already have a second factor/);
    expect((await thief.postForm('/2fa/enroll/start', {})).status).toBe(403);
    expect((await thief.postJson('/api/secondfactor/webauthn/identity/start', {})).status).toBe(403);
    await world.gateway.close();
  });

  it('refuses a replayed assertion, a counter that goes back, and an assertion without a ceremony', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    const key = new SoftAuthenticator();
    await verified(world, client);
    expect((await register(client, key)).status).toBe(201);

    const second = new PortalClient(world.gateway);
    expect((await second.login()).status).toBe(200);
    // No challenge was asked for: nothing to check the answer against.
    const orphan = await second.postJson('/api/secondfactor/webauthn', {
      response: key.get({ challenge: 'c29tZXRoaW5n', rpId: 'gatehouse.localhost' }, portalOrigin),
    });
    expect(orphan.status).toBe(409);
    const { answer, reply } = await useKey(second, key);
    expect(reply.status).toBe(200);

    // The same answer again, on a new sign-in: its challenge was used up.
    const third = new PortalClient(world.gateway);
    expect((await third.login()).status).toBe(200);
    expect((await third.postJson('/api/secondfactor/webauthn', { response: answer })).status).toBe(409);
    expect(await level(third)).toBe(1);
    // A fresh challenge, signed with a counter that went back (a cloned key).
    const cloned = await useKey(third, key, { counter: 1 });
    expect(cloned.reply.status).toBe(401);
    expect(cloned.reply.json().message).toBe('Authentication failed. Check your credentials.');
    expect(await level(third)).toBe(1);
    await world.gateway.close();
  });

  it("refuses another user's key, and a key registered for another cookie domain", async () => {
    const world = await startPortal({
      session: {
        cookies: [
          { domain: 'gatehouse.localhost', portal_url: portalOrigin },
          { domain: 'other.localhost', portal_url: 'http://auth.other.localhost' },
        ],
      },
      access_control: { default_policy: 'one_factor' },
    });
    const john = new PortalClient(world.gateway);
    const johnsKey = new SoftAuthenticator();
    await verified(world, john);
    expect((await register(john, johnsKey)).status).toBe(201);

    // bob has no e-mail: give him a key through the storage, then try john's key as bob's second factor.
    const bob = new PortalClient(world.gateway);
    expect((await bob.login('bob', 'bobpassword')).status).toBe(200);
    const bobsKey = new SoftAuthenticator();
    const handle = await world.gateway.storage.webauthn.userHandle('bob', 'gatehouse.localhost', () => 'Ym9iLWhhbmRsZQ', 1);
    const bobsRegistration = bobsKey.create({ challenge: 'eA', rp: { id: 'gatehouse.localhost' }, user: { id: handle } }, portalOrigin);
    expect(bobsRegistration.id).toBeTruthy();
    const options = await bob.get('/api/secondfactor/webauthn');
    expect(options.status).toBe(409); // bob has no key here
    const { answer } = await useKey(john, johnsKey);
    const stolen = await bob.postJson('/api/secondfactor/webauthn', { response: answer });
    expect(stolen.status).toBe(409); // no ceremony for bob
    expect(await level(bob)).toBe(1);

    // john's key, registered for gatehouse.localhost, offered on other.localhost's portal.
    const elsewhere = new PortalClient(world.gateway, 'auth.other.localhost');
    expect((await elsewhere.login()).status).toBe(200);
    expect((await elsewhere.get('/api/secondfactor/webauthn')).status).toBe(409);
    await world.gateway.close();
  });

  it('answers malformed bodies with 400 and a disabled webauthn with 404', async () => {
    const world = await startPortal({ webauthn: { disable: true } });
    const client = new PortalClient(world.gateway);
    expect((await client.login()).status).toBe(200);
    expect((await client.get('/api/secondfactor/webauthn')).status).toBe(404);
    expect((await client.get('/api/firstfactor/passkey')).status).toBe(404);
    expect((await client.get('/settings/webauthn')).status).toBe(404);
    const bad = await client.postJson('/api/secondfactor/webauthn', { response: { id: 'x' } });
    expect(bad.status).toBe(400);
    const form = await client.postForm('/2fa/webauthn', { credential: '{"not":"json' });
    expect(form.status).toBe(401);
    await world.gateway.close();

    const on = await startPortal();
    const other = new PortalClient(on.gateway);
    expect((await other.login()).status).toBe(200);
    expect((await other.postForm('/settings/webauthn/register', { credential: 'null', description: 'x' })).status).toBe(400);
    expect((await other.postJson('/api/secondfactor/webauthn/credential/register', { id: 'x' })).status).toBe(400);
    await on.gateway.close();
  });

  it("the 2FA page offers the key, with the library's bundle and our script served by Gatehouse", async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    await verified(world, client);
    expect((await register(client, new SoftAuthenticator())).status).toBe(201);
    const fresh = new PortalClient(world.gateway);
    expect((await fresh.login()).status).toBe(200);
    const page = await fresh.get('/2fa');
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-webauthn="second-factor"');
    expect(page.body).toContain('<script src="/static/simplewebauthn.js" defer>');
    const script = await fresh.get('/static/simplewebauthn.js');
    expect(script.status).toBe(200);
    expect(script.body).toContain('SimpleWebAuthnBrowser');
    expect((await fresh.get('/static/webauthn.js')).body).toContain('startAuthentication');
    await world.gateway.close();
  });
});

describe('passkey sign-in (issue 15)', () => {
  const passkeys = (extra: Record<string, unknown> = {}) => ({ webauthn: { enable_passkey_login: true, ...extra } });

  async function withPasskey(world: World, options: ConstructorParameters<typeof SoftAuthenticator>[0] = {}) {
    const client = new PortalClient(world.gateway);
    const key = new SoftAuthenticator({ discoverable: true, attachment: 'platform', ...options });
    await verified(world, client);
    expect((await register(client, key, 'Laptop')).status).toBe(201);
    return key;
  }

  async function passkeyLogin(client: PortalClient, key: SoftAuthenticator, body: Record<string, unknown> = {}) {
    const options = await client.get('/api/firstfactor/passkey');
    expect(options.status, options.body).toBe(200);
    const { publicKey } = options.json().data;
    expect(publicKey.allowCredentials ?? []).toEqual([]);
    return client.postJson('/api/firstfactor/passkey', { response: key.get(publicKey, portalOrigin), ...body });
  }

  it('signs in with one factor; a two_factor site then asks for the password, which completes two', async () => {
    const world = await startPortal(passkeys());
    const key = await withPasskey(world);
    const login = await new PortalClient(world.gateway).get('/');
    expect(login.body).toContain('Sign in with a passkey');

    const client = new PortalClient(world.gateway);
    const signedIn = await passkeyLogin(client, key, { targetURL: 'http://secure.gatehouse.localhost/vault' });
    expect(signedIn.status, signedIn.body).toBe(200);
    expect(await level(client)).toBe(1);
    const page = await client.get('/2fa?rd=http%3A%2F%2Fsecure.gatehouse.localhost%2Fvault');
    expect(page.body).toContain('You signed in with a passkey. This site also needs your password.');
    expect(page.body).not.toContain('data-webauthn'); // not the same key again
    // The key again as a "second" factor is refused.
    expect((await client.get('/api/secondfactor/webauthn')).status).toBe(403);
    expect((await client.postJson('/api/secondfactor/password', { password: 'wrong' })).status).toBe(401);
    const done = await client.postJson('/api/secondfactor/password', { password: 'password', targetURL: 'http://secure.gatehouse.localhost/vault' });
    expect(done.json()).toEqual({ status: 'OK', data: { redirect: 'http://secure.gatehouse.localhost/vault' } });
    expect(await level(client)).toBe(2);
    // The password step is only for passkey sessions.
    const plain = new PortalClient(world.gateway);
    expect((await plain.login()).status).toBe(200);
    expect((await plain.postJson('/api/secondfactor/password', { password: 'password' })).status).toBe(401);
    await world.gateway.close();
  });

  it('counts as two factors when the authenticator verified the user and the experimental key is set', async () => {
    const world = await startPortal(passkeys({ experimental_enable_passkey_uv_two_factors: true }));
    const verifiedKey = await withPasskey(world, { userVerified: true });
    const client = new PortalClient(world.gateway);
    expect((await passkeyLogin(client, verifiedKey)).status).toBe(200);
    expect(await level(client)).toBe(2);

    // Without user verification the same setting gives one factor (the options require it, the check refuses it).
    const world2 = await startPortal(passkeys({ experimental_enable_passkey_uv_two_factors: false }));
    const presenceOnly = await withPasskey(world2, { userVerified: false });
    const other = new PortalClient(world2.gateway);
    expect((await passkeyLogin(other, presenceOnly)).status).toBe(200);
    expect(await level(other)).toBe(1);
    await world.gateway.close();
    await world2.gateway.close();
  });

  it('refuses a passkey when passkey login is off, and a replayed passkey answer', async () => {
    const off = await startPortal();
    expect((await new PortalClient(off.gateway).get('/api/firstfactor/passkey')).status).toBe(404);
    expect((await new PortalClient(off.gateway).get('/')).body).not.toContain('passkey');
    await off.gateway.close();

    const world = await startPortal(passkeys());
    const key = await withPasskey(world);
    const client = new PortalClient(world.gateway);
    const options = (await client.get('/api/firstfactor/passkey')).json().data.publicKey;
    const answer = key.get(options, portalOrigin);
    expect((await client.postJson('/api/firstfactor/passkey', { response: answer })).status).toBe(200);
    const replay = new PortalClient(world.gateway);
    await replay.get('/api/firstfactor/passkey');
    expect((await replay.postJson('/api/firstfactor/passkey', { response: answer })).status).toBe(401);
    expect(await level(replay)).toBe(0);

    // A failed passkey form shows the login page with the generic message.
    const form = await new PortalClient(world.gateway).postForm('/login/passkey', { credential: JSON.stringify(answer) });
    expect(form.status).toBe(401);
    expect(form.body).toContain('Authentication failed. Check your credentials.');
    await world.gateway.close();
  });
});

describe('amr of WebAuthn sign-ins in ID tokens (issue 15)', () => {
  it('carries pwd, hwk, user and mfa after a password and a roaming key; swk, user, pin for a verified platform passkey', async () => {
    const { Browser, callback, client, discover, secret, startProvider } = await import('../helpers/oidc.js');
    const world = await startProvider({}, { config: { webauthn: { enable_passkey_login: true, experimental_enable_passkey_uv_two_factors: true } } });
    const setup = new PortalClient(world.gateway);
    const roaming = new SoftAuthenticator({ attachment: 'cross-platform' });
    const platform = new SoftAuthenticator({ attachment: 'platform', discoverable: true, userVerified: true });
    await verified(world, setup);
    expect((await register(setup, roaming, 'Roaming')).status).toBe(201);
    expect((await register(setup, platform, 'Platform')).status).toBe(201);
    const config = await discover(world.fetch, 'confidential', { client_secret: secret }, client.ClientSecretBasic(secret));

    async function idTokenAmr(portal: PortalClient) {
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callback,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const browser = new Browser(world.fetch);
      browser.cookie = portal.cookie;
      const back = await browser.follow(url);
      expect(back.status).toBe(302);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier });
      return tokens.claims()?.amr;
    }

    const withKey = new PortalClient(world.gateway);
    expect((await withKey.login()).status).toBe(200);
    expect((await useKey(withKey, roaming)).reply.status).toBe(200);
    expect(await idTokenAmr(withKey)).toEqual(['pwd', 'hwk', 'user', 'mfa']);

    const withPasskey = new PortalClient(world.gateway);
    const options = (await withPasskey.get('/api/firstfactor/passkey')).json().data.publicKey;
    expect((await withPasskey.postJson('/api/firstfactor/passkey', { response: platform.get(options, portalOrigin) })).status).toBe(200);
    expect(await idTokenAmr(withPasskey)).toEqual(['swk', 'user', 'pin', 'mfa']);
    await world.gateway.close();
  });
});
