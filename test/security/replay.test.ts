/**
 * Attack class 9: TOTP and WebAuthn replay. A one-time code is accepted once (whoever presents it
 * again: another session, the other form of the step, the enrolment's code at login, two requests
 * racing); a security-key assertion is bound to one challenge of one session, one origin, and a
 * signature counter that moves forward. The software authenticator (test/helpers) builds real
 * assertions, so each replay differs from a valid one in one respect only.
 */
import { TOTP } from 'otpauth';
import { beforeEach, describe, expect, it } from 'vitest';
import { totpCode } from '../helpers/portal.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';
import { type Client, lastCode, sharedWorld, type World } from './world.js';

const domain = 'gatehouse.localhost';
const origin = `http://auth.${domain}`;
const level = async (client: Client) => (await client.get('/api/state')).json().data.authentication_level as number;

/** A client signed in with `user`'s password. */
async function passwordOnly(w: World, user: string): Promise<Client> {
  const client = w.client();
  expect((await client.login(user)).status).toBe(200);
  return client;
}

/** Enrols an authenticator app for `user`; returns its secret and the code that confirmed it. */
async function enrolTotp(w: World, user: string): Promise<{ secret: string; confirmation: string }> {
  const client = await passwordOnly(w, user);
  expect((await client.postJson('/api/secondfactor/totp/identity/start', {})).status).toBe(200);
  const finish = await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(w) });
  const secret = finish.json().data.secret as string;
  const confirmation = totpCode(secret, w.clock);
  expect((await client.postJson('/api/secondfactor/totp/register', { token: confirmation })).status).toBe(200);
  return { secret, confirmation };
}

describe('TOTP replay: ASVS 2.8.4 (once per validity period), 2.8.5 (a reused code is refused and logged), RFC 6238 §5.2', () => {
  const world = sharedWorld({ domain });
  let secret = '';
  // Refused replays count as failed codes (five per five minutes): each case starts a new window.
  beforeEach(() => world().clock.advance(5 * 60_000));

  it('setup and control: john enrols an app; a fresh code raises a password session to two factors', async () => {
    const w = world();
    ({ secret } = await enrolTotp(w, 'john'));
    w.clock.advance(30_000);
    const client = await passwordOnly(w, 'john');
    expect((await client.postJson('/api/secondfactor/totp', { token: totpCode(secret, w.clock) })).status).toBe(200);
    expect(await level(client)).toBe(2);
  });

  it('the code that confirmed the enrolment cannot be used to sign in', async () => {
    const w = world();
    const { secret: harrys, confirmation } = await enrolTotp(w, 'harry');
    expect(totpCode(harrys, w.clock)).toBe(confirmation);
    const client = await passwordOnly(w, 'harry');
    expect((await client.postJson('/api/secondfactor/totp', { token: confirmation })).status).toBe(401);
    expect(await level(client)).toBe(1);
  });

  it.each([
    ['by another session, through the API', 'api'],
    ['by another session, through the form', 'form'],
    ['by the same session, again', 'same'],
  ] as const)('a code used once is refused when replayed %s', async (_name, how) => {
    const w = world();
    w.clock.advance(30_000);
    const token = totpCode(secret, w.clock);
    const first = await passwordOnly(w, 'john');
    expect((await first.postJson('/api/secondfactor/totp', { token })).status).toBe(200);
    const replayer = how === 'same' ? first : await passwordOnly(w, 'john');
    const before = how === 'same' ? 2 : 1;
    const reply = how === 'form' ? await replayer.postForm('/2fa', { token }) : await replayer.postJson('/api/secondfactor/totp', { token });
    expect(reply.status).toBe(401);
    expect(await level(replayer)).toBe(before);
  });

  it('spelt differently (spaces) it is the same code, refused again', async () => {
    const w = world();
    w.clock.advance(30_000);
    const token = totpCode(secret, w.clock);
    expect((await (await passwordOnly(w, 'john')).postJson('/api/secondfactor/totp', { token })).status).toBe(200);
    const replayer = await passwordOnly(w, 'john');
    expect((await replayer.postJson('/api/secondfactor/totp', { token: `${token.slice(0, 3)} ${token.slice(3)}` })).status).toBe(401);
  });

  it('two requests racing with the same code: exactly one succeeds', async () => {
    const w = world();
    w.clock.advance(30_000);
    const token = totpCode(secret, w.clock);
    const clients = await Promise.all([passwordOnly(w, 'john'), passwordOnly(w, 'john'), passwordOnly(w, 'john')]);
    const replies = await Promise.all(clients.map((c) => c.postJson('/api/secondfactor/totp', { token })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it('a code still within the skew window after use is refused later in that window', async () => {
    const w = world();
    w.clock.advance(30_000);
    const token = totpCode(secret, w.clock);
    expect((await (await passwordOnly(w, 'john')).postJson('/api/secondfactor/totp', { token })).status).toBe(200);
    w.clock.advance(25_000); // next period: the old code is still inside `skew: 1`
    expect((await (await passwordOnly(w, 'john')).postJson('/api/secondfactor/totp', { token })).status).toBe(401);
  });

  it('a code from outside the window is refused (a captured code ages out)', async () => {
    const w = world();
    const old = totpCode(secret, w.clock);
    w.clock.advance(5 * 60_000);
    expect((await (await passwordOnly(w, 'john')).postJson('/api/secondfactor/totp', { token: old })).status).toBe(401);
  });

  it('guessing is bounded: after five wrong codes the right one is refused too (ASVS 2.2.1)', async () => {
    const w = world();
    const { secret: bobs } = await enrolTotp(w, 'bob');
    w.clock.advance(30_000);
    const client = await passwordOnly(w, 'bob');
    // Five codes that are surely wrong: none is bob's code of this period or the ones around it.
    const valid = new Set(
      [-30_000, 0, 30_000].map((shift) => new TOTP({ secret: bobs, digits: 6, period: 30 }).generate({ timestamp: w.clock.now() + shift })),
    );
    const wrong = Array.from({ length: 10 }, (_, i) => String(100000 + i))
      .filter((code) => !valid.has(code))
      .slice(0, 5);
    for (const token of wrong) expect((await client.postJson('/api/secondfactor/totp', { token })).status).toBe(401);
    expect((await client.postJson('/api/secondfactor/totp', { token: totpCode(bobs, w.clock) })).status).toBe(401);
    expect(await level(client)).toBe(1);
  });

  it('the replays are in the log as refused second factors', () => {
    expect(
      world()
        .logs()
        .split('\n')
        .filter((l) => /second factor failed|TOTP/i.test(l) && l.includes('"username":"john"')).length,
    ).toBeGreaterThan(0);
  });
});

describe('WebAuthn replay: ASVS 2.7 / 2.8 (single-use challenges), W3C WebAuthn §7.2 steps 12 (challenge), 13 (origin), 21 (signature counter)', () => {
  const world = sharedWorld({ domain, config: { webauthn: { enable_passkey_login: true } } });
  const key = new SoftAuthenticator({ discoverable: true, attachment: 'platform' });

  /** A password session of harry with the options of a second-factor ceremony. */
  async function ceremony(w: World) {
    const client = await passwordOnly(w, 'harry');
    const options = await client.get('/api/secondfactor/webauthn');
    expect(options.status, options.body).toBe(200);
    return { client, publicKey: options.json().data.publicKey as { challenge: string; rpId?: string } };
  }

  it('setup and control: harry registers a key; a fresh assertion raises a password session', async () => {
    const w = world();
    const client = await passwordOnly(w, 'harry');
    expect((await client.postJson('/api/secondfactor/webauthn/identity/start', {})).status).toBe(200);
    expect((await client.postJson('/api/secondfactor/webauthn/identity/finish', { code: lastCode(w) })).status).toBe(200);
    const start = await client.sendJson('PUT', '/api/secondfactor/webauthn/credential/register', { description: 'Laptop' });
    const registration = key.create(start.json().data.publicKey, origin);
    expect((await client.postJson('/api/secondfactor/webauthn/credential/register', { response: registration })).status).toBe(201);
    // The same registration posted again: its ceremony is spent.
    expect((await client.postJson('/api/secondfactor/webauthn/credential/register', { response: registration })).status).toBeGreaterThanOrEqual(400);
    expect(await w.gateway.storage.webauthn.list('harry')).toHaveLength(1);

    const { client: other, publicKey } = await ceremony(w);
    expect((await other.postJson('/api/secondfactor/webauthn', { response: key.get(publicKey, origin) })).status).toBe(200);
    expect(await level(other)).toBe(2);
  });

  it('the same assertion posted again (same session) is refused: the challenge is spent', async () => {
    const w = world();
    const { client, publicKey } = await ceremony(w);
    const assertion = key.get(publicKey, origin);
    expect((await client.postJson('/api/secondfactor/webauthn', { response: assertion })).status).toBe(200);
    expect((await client.postJson('/api/secondfactor/webauthn', { response: assertion })).status).toBeGreaterThanOrEqual(400);
  });

  it('an assertion made for one session’s challenge is refused in another session', async () => {
    const w = world();
    const { publicKey } = await ceremony(w);
    const { client: thief } = await ceremony(w);
    const reply = await thief.postJson('/api/secondfactor/webauthn', { response: key.get(publicKey, origin) });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(await level(thief)).toBe(1);
  });

  const stored = async (w: World) => (await w.gateway.storage.webauthn.list('harry'))[0]!.signCount;

  it.each([
    ['signed for another challenge', async () => ({ challenge: Buffer.from('not-the-challenge-0123456789').toString('base64url') }), origin],
    ['from a phishing origin', async () => ({}), 'http://auth.gatehouse.localhost.evil.example'],
    ['from a sibling subdomain', async () => ({}), `http://app.${domain}`],
    ['with the stored signature counter again (a cloned key)', async (w: World) => ({ counter: await stored(w) }), origin],
    ['with a signature counter below the stored one', async (w: World) => ({ counter: (await stored(w)) - 1 }), origin],
  ] as const)('an assertion %s is refused', async (_name, override, from) => {
    const w = world();
    const { client, publicKey } = await ceremony(w);
    const reply = await client.postJson('/api/secondfactor/webauthn', { response: key.get(publicKey, from, await override(w)) });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(await level(client)).toBe(1);
  });

  it('two requests racing with one assertion: at most one succeeds', async () => {
    const w = world();
    const { client, publicKey } = await ceremony(w);
    const assertion = key.get(publicKey, origin);
    const replies = await Promise.all([1, 2, 3].map(() => client.postJson('/api/secondfactor/webauthn', { response: assertion })));
    expect(replies.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
  });

  it('a passkey assertion replayed at sign-in is refused, in the same browser or another', async () => {
    const w = world();
    const browser = w.client();
    const options = (await browser.get('/api/firstfactor/passkey')).json().data.publicKey;
    const assertion = key.get(options, origin);
    expect((await browser.postJson('/api/firstfactor/passkey', { response: assertion })).status).toBe(200);
    expect((await browser.postJson('/api/firstfactor/passkey', { response: assertion })).status).toBeGreaterThanOrEqual(400);
    const other = w.client();
    await other.get('/api/firstfactor/passkey');
    expect((await other.postJson('/api/firstfactor/passkey', { response: assertion })).status).toBeGreaterThanOrEqual(400);
    expect(await level(other)).toBe(0);
  });
});
