/**
 * Attack class 6: session fixation, cookie tampering, and replay across cookie domains. A
 * session ID known before a login (one the attacker planted, or one the portal itself issued
 * before the login) must not be the ID after it, at any step that raises the level: password,
 * TOTP, TOTP enrolment, security-key registration and use, passkey, and the password after a
 * passkey. A changed, truncated or stored-form ID is nobody's session, and a session of one cookie
 * domain is nobody's session under another.
 */
import { describe, expect, it } from 'vitest';
import { totpCode } from '../helpers/portal.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';
import { defaults } from '../../src/config/defaults.js';
import { hashSessionId } from '../../src/session/session-id.js';
import { type Client, defaultRules, lastCode, type Reply, sharedWorld, type World } from './world.js';

const domain = 'gatehouse.localhost';
const second = 'second.localhost';

const levelOf = async (w: World, id: string | undefined) => {
  const probe = w.client();
  probe.session = id;
  return (await probe.get('/api/state')).json().data.authentication_level as number;
};

/** The step's answer must set a new session ID, and the ID before it must be dead. */
async function expectRotated(w: World, before: string | undefined, reply: Reply, level: number) {
  expect(reply.status, reply.body).toBeLessThan(400);
  expect(reply.setSession).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(reply.setSession).not.toBe(before);
  if (before !== undefined) expect(await levelOf(w, before)).toBe(0);
  expect(await levelOf(w, reply.setSession)).toBe(level);
}

/** Signs a client in with a password and enrols an authenticator app; returns its secret. */
async function enrolTotp(w: World, client: Client, user: string): Promise<string> {
  expect((await client.login(user)).status).toBe(200);
  expect((await client.postJson('/api/secondfactor/totp/identity/start', {})).status).toBe(200);
  const finish = await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(w) });
  expect(finish.status).toBe(200);
  const secret = finish.json().data.secret as string;
  const before = client.session;
  const register = await client.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, w.clock) });
  await expectRotated(w, before, register, 2);
  return secret;
}

describe('session fixation: ASVS 3.2.1, 3.3.1; oauth2-proxy 7.15.2 "potential session fixation", GHSA-f24x-5g9q-753f; Authelia threat model "regenerate after each privilege elevation"', () => {
  const world = sharedWorld({
    domain,
    moreCookies: [{ domain: second, portal_url: `http://auth.${second}` }],
    config: { webauthn: { enable_passkey_login: true } },
  });

  it('an attacker-chosen ID planted before the password login is not adopted (API and form)', async () => {
    const w = world();
    const planted = 'A'.repeat(43);
    for (const send of [(c: Client) => c.login('bob'), (c: Client) => c.postForm('/login', { username: 'bob', password: w.users.bob!.password })]) {
      const victim = w.client();
      victim.session = planted;
      await expectRotated(w, planted, await send(victim), 1);
    }
  });

  it('an ID the portal issued before the login (a passkey challenge) is not the ID after it', async () => {
    const w = world();
    const attacker = w.client();
    const options = await attacker.get('/api/firstfactor/passkey');
    expect(options.status).toBe(200);
    const issued = attacker.session;
    expect(issued, 'the passkey options keep their challenge in a session').toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The attacker plants it in the victim's browser (cookie tossing from a sibling subdomain).
    const victim = w.client();
    victim.session = issued;
    await expectRotated(w, issued, await victim.login('bob'), 1);
  });

  it('signing in over another user’s session gives a new ID and ends the old one', async () => {
    const w = world();
    const client = w.client();
    expect((await client.login('bob')).status).toBe(200);
    const bobs = client.session;
    await expectRotated(w, bobs, await client.login('harry'), 1);
  });

  it('TOTP enrolment, then the TOTP step (API and form) each rotate the ID; a replayed code changes nothing', async () => {
    const w = world();
    const secret = await enrolTotp(w, w.client(), 'john');
    for (const form of [false, true]) {
      const client = w.client();
      expect((await client.login('john')).status).toBe(200);
      const oneFactor = client.session;
      w.clock.advance(30_000);
      const token = totpCode(secret, w.clock);
      const reply = form ? await client.postForm('/2fa', { token }) : await client.postJson('/api/secondfactor/totp', { token });
      await expectRotated(w, oneFactor, reply, 2);
    }
  });

  it('security-key registration and use, passkey sign-in and the password after it each rotate the ID', async () => {
    const w = world();
    const origin = `http://auth.${domain}`;
    const key = new SoftAuthenticator({ discoverable: true, attachment: 'platform' });
    const owner = w.client();
    expect((await owner.login('harry')).status).toBe(200);
    expect((await owner.postJson('/api/secondfactor/webauthn/identity/start', {})).status).toBe(200);
    expect((await owner.postJson('/api/secondfactor/webauthn/identity/finish', { code: lastCode(w) })).status).toBe(200);
    const start = await owner.sendJson('PUT', '/api/secondfactor/webauthn/credential/register', { description: 'Laptop' });
    expect(start.status, start.body).toBe(200);
    const beforeRegistration = owner.session;
    const registered = await owner.postJson('/api/secondfactor/webauthn/credential/register', { response: key.create(start.json().data.publicKey, origin) });
    await expectRotated(w, beforeRegistration, registered, 2);

    // The key as a second factor.
    const client = w.client();
    expect((await client.login('harry')).status).toBe(200);
    const options = await client.get('/api/secondfactor/webauthn');
    expect(options.status, options.body).toBe(200);
    const oneFactor = client.session;
    await expectRotated(w, oneFactor, await client.postJson('/api/secondfactor/webauthn', { response: key.get(options.json().data.publicKey, origin) }), 2);

    // The key as a passkey (one factor), then the password as the second.
    const passkey = w.client();
    const challenge = await passkey.get('/api/firstfactor/passkey');
    const anonymous = passkey.session;
    const signedIn = await passkey.postJson('/api/firstfactor/passkey', { response: key.get(challenge.json().data.publicKey, origin) });
    await expectRotated(w, anonymous, signedIn, 1);
    const passkeyOnly = passkey.session;
    await expectRotated(w, passkeyOnly, await passkey.postJson('/api/secondfactor/password', { password: w.users.harry!.password }), 2);
  });

  it('after logout the old ID is dead, whatever the client still sends (ASVS 3.3.1)', async () => {
    const w = world();
    const client = w.client();
    expect((await client.login('bob')).status).toBe(200);
    const id = client.session;
    expect((await client.postJson('/api/logout', {})).status).toBe(200);
    expect(await levelOf(w, id)).toBe(0);
  });

  it('IDs are 256-bit random base64url values, never repeated (ASVS 3.2.2)', async () => {
    const w = world();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const reply = await w.client().login('bob');
      expect(reply.setSession).toMatch(/^[A-Za-z0-9_-]{43}$/);
      ids.add(reply.setSession!);
    }
    expect(ids.size).toBe(20);
  });
});

describe('cookie tampering and replay across cookie domains: ASVS 3.4, 3.5.3; GHSA-qqff-5854-px68 (cookie parts), Pomerium GHSA-fv82-r8qv-ch4v', () => {
  const rules = defaultRules(domain);
  const world = sharedWorld({
    domain,
    moreCookies: [{ domain: second, portal_url: `http://auth.${second}` }],
    rules: { ...rules, rules: [...(rules.rules as unknown[]), { domain: `*.${second}`, policy: 'one_factor' }] },
  });

  const tamperings: [string, (id: string) => string][] = [
    ['one character changed', (id) => `${id.slice(0, 20)}${id[20] === 'A' ? 'B' : 'A'}${id.slice(21)}`],
    ['upper-cased', (id) => id.toUpperCase()],
    ['one character cut', (id) => id.slice(0, 42)],
    ['one character added', (id) => `${id}A`],
    ['padded with =', (id) => `${id}=`],
    // An ID may hold no `-` or `_` at all: then its first character is swapped for `+`, so the value always differs.
    ['in standard base64 (+ and /)', (id) => (/[-_]/.test(id) ? id.replace(/-/g, '+').replace(/_/g, '/') : `+${id.slice(1)}`)],
    ['quoted', (id) => `"${id}"`],
    ['the stored form (its SHA-256), as a leaked database row would give it', (id) => hashSessionId(id)],
    ['with a NUL', (id) => `${id.slice(0, 42)}\u0000`],
    ['with a space inside', (id) => `${id.slice(0, 21)} ${id.slice(22)}`],
  ];

  it.each(tamperings)('%s: nobody’s session', async (_name, tamper) => {
    const w = world();
    const client = w.client();
    expect((await client.login('bob')).status).toBe(200);
    const id = client.session!;
    const tampered = tamper(id);
    expect(tampered).not.toBe(id);
    expect(await levelOf(w, tampered)).toBe(0);
    // Forward-auth agrees: a login, never an identity.
    const reply = await w.inject({
      method: 'GET',
      url: '/api/authz/forward-auth',
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `app.${domain}`,
        'x-forwarded-uri': '/',
        accept: 'text/html',
        cookie: `${w.config.session.cookies[0]!.name}=${tampered}`,
      },
    });
    expect([reply.statusCode, reply.headers['remote-user']]).toEqual([302, undefined]);
  });

  it.each([
    [`${defaults.session.name}_1of10000000000`, 'x'],
    [`${defaults.session.name}_0of1`, 'x'],
    [defaults.session.name, 'x'.repeat(4000)],
    ['authelia_session_1of10000000000', 'x'],
  ])('a cookie %s=… of the chunked-cookie kind is refused without work, and the gateway still answers', async (name, value) => {
    const w = world();
    const reply = await w.inject({ method: 'GET', url: '/api/state', headers: { host: `auth.${domain}`, cookie: `${name}=${value}` } });
    expect([reply.statusCode, reply.json().data.authentication_level]).toEqual([200, 0]);
  });

  it('a session of one cookie domain is nobody’s under another, at the portal and at forward-auth', async () => {
    const w = world();
    const a = w.client();
    expect((await a.login('bob')).status).toBe(200);
    const b = w.client({ host: `auth.${second}` });
    expect((await b.login('harry')).status).toBe(200);
    expect([await levelOf(w, a.session), await levelOf(w, b.session)]).toEqual([1, 0]);

    // harry's session of second.localhost replayed at gatehouse.localhost's portal and sites.
    const replayed = w.client();
    replayed.session = b.session;
    expect((await replayed.get('/api/state')).json().data).toMatchObject({ username: '', authentication_level: 0 });
    const asked = await w.inject({
      method: 'GET',
      url: '/api/authz/forward-auth',
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `app.${domain}`,
        'x-forwarded-uri': '/',
        accept: 'text/html',
        // Both domains' cookies have the same name: the browser of a.example would send it so.
        cookie: `${w.config.session.cookies[1]!.name}=${b.session}`,
      },
    });
    expect([asked.statusCode, asked.headers['remote-user']]).toEqual([302, undefined]);
    expect(String(asked.headers.location)).toContain(`http://auth.${domain}/`);
    // A session shown under a domain it was not issued for is treated as stolen: it ends.
    expect((await b.get('/api/state')).json().data.authentication_level).toBe(0);
    expect(await levelOf(w, a.session)).toBe(1);
  });

  it('bob’s session of gatehouse.localhost asked about a second.localhost site: login there, no identity', async () => {
    const w = world();
    const cookie = await w.cookieOf('bob');
    const asked = await w.inject({
      method: 'GET',
      url: '/api/authz/forward-auth',
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `app.${second}`,
        'x-forwarded-uri': '/',
        accept: 'text/html',
        cookie,
      },
    });
    expect([asked.statusCode, asked.headers['remote-user']]).toEqual([302, undefined]);
    expect(String(asked.headers.location)).toContain(`http://auth.${second}/`);
  });
});

describe('cookie attributes: ASVS 3.4.1 (Secure), 3.4.2 (HttpOnly), 3.4.3 (SameSite), 3.4.5 (Path)', () => {
  const world = sharedWorld({ domain: 'example.com' });

  it('the session cookie is Secure, HttpOnly, SameSite=Lax, Path=/, for the cookie domain only', async () => {
    const reply = await world().client().login('bob');
    expect(reply.status).toBe(200);
    const line = [reply.headers['set-cookie']].flat().find((l) => String(l).startsWith(`${defaults.session.name}=`));
    expect(line).toBeDefined();
    const attributes = String(line)
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase())
      .sort();
    expect(attributes).toEqual(['domain=example.com', 'httponly', 'path=/', 'samesite=lax', 'secure']);
  });
});
