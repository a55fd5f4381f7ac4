import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortalClient, lastCode, portalOrigin, startPortal } from '../helpers/portal.js';

type World = Awaited<ReturnType<typeof startPortal>>;

const generic = 'Authentication failed. Check your credentials.';

function notificationText(world: World): string {
  return existsSync(world.notifications) ? readFileSync(world.notifications, 'utf8') : '';
}

const username = async (browser: PortalClient) => (await browser.get('/api/state')).json().data.username as string;

/** Whether `password` signs john in (in a fresh browser). */
async function works(world: World, password: string, user = 'john'): Promise<boolean> {
  return (await new PortalClient(world.gateway).login(user, password)).status === 200;
}

async function signedIn(world: World, user = 'john', password = 'password'): Promise<PortalClient> {
  const browser = new PortalClient(world.gateway);
  expect((await browser.login(user, password)).status).toBe(200);
  return browser;
}

describe('password change', () => {
  it('changes the password with the current one: this browser stays signed in (under a new ID), the others are signed out, the user is told', async () => {
    const world = await startPortal();
    const browser = await signedIn(world);
    const other = await signedIn(world);
    const bob = await signedIn(world, 'bob', 'bobpassword');

    const form = await browser.get('/settings/password');
    expect(form.status).toBe(200);
    expect(form.body).toContain('<title>Change your password · Test Gate</title>');
    for (const field of ['current_password', 'password', 'confirmation']) expect(form.body).toContain(`name="${field}"`);
    expect(form.body).toContain('Confirm with an e-mailed code instead');

    const before = browser.cookie;
    const done = await browser.postForm('/settings/password', { current_password: 'password', password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your password was changed.');
    expect(done.body).toContain('<a href="/settings">Back to your settings</a>');

    expect(browser.cookie).not.toBe(before);
    expect(await username(browser)).toBe('john');
    const stale = new PortalClient(world.gateway);
    stale.cookie = before;
    expect(await username(stale)).toBe('');
    expect(await username(other)).toBe('');
    expect(await username(bob)).toBe('bob');

    expect(await works(world, 'new-secret-1')).toBe(true);
    expect(await works(world, 'password')).toBe(false);
    const text = notificationText(world);
    expect(text).toContain('Subject: Password changed');
    expect(text).toContain('To: john.doe@gatehouse.localhost');
    expect(text).not.toContain('new-secret-1');
    // Still signed in when the user refresh (every 5 minutes) looks at the session again.
    for (const _ of [1, 2, 3]) {
      world.clock.advance(4 * 60_000);
      expect(await username(browser)).toBe('john');
    }
  });

  it("announces the end of the user's other sessions only: this browser's apps stay signed in (single logout spares its sid)", async () => {
    const world = await startPortal();
    const ended: { sid: string | undefined; reason: string }[] = [];
    world.gateway.sessions.onEnded((sessions) => {
      for (const s of sessions) ended.push({ sid: s.sid, reason: s.reason });
    });
    const browser = await signedIn(world);
    const other = await signedIn(world);
    const sids = new Map((await world.gateway.sessions.listUser('john')).map((r) => [r.idHash, r.state.sid]));
    expect(sids.size).toBe(2);
    const done = await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' });
    expect(done.status).toBe(200);
    const left = await world.gateway.sessions.listUser('john');
    expect(left).toHaveLength(1);
    const keptSid = left[0]!.state.sid;
    expect(ended.map((e) => e.sid)).not.toContain(keptSid);
    expect(ended).toEqual([{ sid: [...sids.values()].find((sid) => sid !== keptSid), reason: 'user-changed' }]);
    expect(await username(other)).toBe('');
    expect(await username(browser)).toBe('john');
  });

  it('is off with authentication_backend.password_change.disable (404, no link on the settings page)', async () => {
    const world = await startPortal();
    const config = world.config as unknown as { authenticationBackend: Record<string, unknown> };
    await world.gateway.close();
    const { startTestGateway } = await import('../helpers/gateway.js');
    const gateway = await startTestGateway(
      { ...world.config, authenticationBackend: { ...config.authenticationBackend, passwordChange: { disable: true } } } as never,
      {
        clock: world.clock,
      },
    );
    const browser = new PortalClient(gateway);
    expect((await browser.login()).status).toBe(200);
    expect((await browser.get('/settings/password')).status).toBe(404);
    expect((await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' })).status).toBe(404);
    expect((await browser.get('/settings')).body).not.toContain('/settings/password');
    expect(await works({ ...world, gateway }, 'password')).toBe(true);
    await gateway.close();
  });

  it('POST /api/change-password takes Authelia’s body {username, old_password, new_password}', async () => {
    const world = await startPortal();
    const browser = await signedIn(world);
    const other = await signedIn(world);
    const someoneElse = await browser.postJson('/api/change-password', { username: 'bob', old_password: 'password', new_password: 'new-secret-1' });
    expect(someoneElse.status).toBe(403);
    expect(someoneElse.json()).toEqual({ status: 'KO', message: 'You can only change the password of the account you are signed in with.' });
    const answer = await browser.postJson('/api/change-password', { username: 'john', old_password: 'password', new_password: 'new-secret-1' });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ status: 'OK' });
    expect(await username(browser)).toBe('john');
    expect(await username(other)).toBe('');
    expect(await works(world, 'new-secret-1')).toBe(true);
    const noProof = await browser.postJson('/api/change-password', { new_password: 'new-secret-2' });
    expect(noProof.status).toBe(400);
    expect(noProof.json().message).toBe('Enter your current password, or confirm with a code sent by e-mail.');
  });

  it('refuses a wrong current password with the generic message, and counts it like a failed sign-in', async () => {
    const world = await startPortal();
    const browser = await signedIn(world);
    for (const guess of ['a', 'b', 'c']) {
      const wrong = await browser.postForm('/settings/password', { current_password: guess, password: 'new-secret-1', confirmation: 'new-secret-1' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain(generic);
      expect(wrong.body).toContain('name="current_password"');
    }
    // Three failures ban the account: the right password now fails the same way, here and at sign-in.
    const banned = await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' });
    expect(banned.status).toBe(401);
    expect(banned.json()).toEqual({ status: 'KO', message: generic });
    expect(await works(world, 'password')).toBe(false);
    world.clock.advance(10 * 60_000);
    expect(await works(world, 'password')).toBe(true);
    expect(await works(world, 'new-secret-1')).toBe(false);
    expect(notificationText(world)).not.toContain('Password changed');
  });

  it('names the policy rules a new password breaks, and refuses two different passwords or the current one', async () => {
    const world = await startPortal({ password_policy: { standard: { enabled: true, min_length: 10, require_number: true } } });
    const browser = await signedIn(world);
    expect((await browser.get('/settings/password')).body).toContain('It must be at least 10 characters, with a number.');
    const cases = [
      [{ password: 'short', confirmation: 'short' }, 'The new password must be at least 10 characters, and must contain a number.'],
      [{ password: 'long-enough-1', confirmation: 'long-enough-2' }, 'The two new passwords are not the same.'],
    ] as const;
    for (const [fields, message] of cases) {
      const refused = await browser.postForm('/settings/password', { current_password: 'password', ...fields });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain(message);
    }
    const same = await signedIn(world, 'bob', 'bobpassword');
    const again = await same.postJson('/api/change-password', { old_password: 'bobpassword', new_password: 'bobpassword' });
    expect(again.status).toBe(400);
    expect(again.json().message).toBe('The new password is the same as the current one. Choose another.');
    expect(await works(world, 'password')).toBe(true);
    expect(await works(world, 'bobpassword', 'bob')).toBe(true);
  });

  it('takes an e-mailed code instead of the current password: a wrong code is refused, a right one works once', async () => {
    const world = await startPortal();
    const browser = await signedIn(world);
    const sent = await browser.postForm('/settings/password/identity', {});
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('We sent a one-time code to <strong>j•••@gatehouse.localhost</strong>');
    expect(sent.body).toContain('name="code"');
    expect(sent.body).not.toContain('name="current_password"');
    const code = lastCode(world.notifications);

    const wrong = await browser.postForm('/settings/password', { code: 'WRONG123', password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That code is not right, or it has expired.');
    expect(wrong.body).toContain('name="code"');

    const done = await browser.postForm('/settings/password', { code: code.toLowerCase(), password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your password was changed.');
    expect(await username(browser)).toBe('john');
    expect(await works(world, 'new-secret-1')).toBe(true);

    const reused = await browser.postJson('/api/change-password', { one_time_code: code, new_password: 'new-secret-2' });
    expect(reused.status).toBe(401);
    expect(await works(world, 'new-secret-1')).toBe(true);

    // The JSON way: start, then the code in place of old_password.
    const started = await browser.postJson('/api/change-password/identity/start', {});
    expect(started.json()).toEqual({ status: 'OK', data: { sentTo: 'j•••@gatehouse.localhost' } });
    const json = await browser.postJson('/api/change-password', { one_time_code: lastCode(world.notifications), new_password: 'new-secret-3' });
    expect(json.json()).toEqual({ status: 'OK' });
    expect(await works(world, 'new-secret-3')).toBe(true);
  });

  it('offers no code to a user without an e-mail address', async () => {
    const world = await startPortal();
    const bob = await signedIn(world, 'bob', 'bobpassword');
    expect((await bob.get('/settings/password')).body).not.toContain('Confirm with an e-mailed code instead');
    const form = await bob.postForm('/settings/password/identity', {});
    expect(form.status).toBe(409);
    expect(form.body).toContain('Your account has no e-mail address');
    expect((await bob.postJson('/api/change-password/identity/start', {})).status).toBe(409);
  });

  it('sends a visitor who is not signed in to sign in first (pages) or answers 401 (API)', async () => {
    const world = await startPortal();
    const visitor = new PortalClient(world.gateway);
    const back = `/?rd=${encodeURIComponent(`${portalOrigin}/settings/password`)}`;
    const page = await visitor.get('/settings/password');
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe(back);
    const form = await visitor.postForm('/settings/password', { current_password: 'password', password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(form.status).toBe(303);
    expect(form.headers.location).toBe(back);
    expect((await visitor.postForm('/settings/password/identity', {})).headers.location).toBe(back);
    const api = await visitor.postJson('/api/change-password', { username: 'john', old_password: 'password', new_password: 'new-secret-1' });
    expect(api.status).toBe(401);
    expect(api.json()).toEqual({ status: 'KO', message: 'You are not signed in.' });
    expect(await works(world, 'password')).toBe(true);
  });

  it('is not available without a users file (404)', async () => {
    const world = await startPortal({ authentication_backend: undefined });
    const visitor = new PortalClient(world.gateway);
    const page = await visitor.get('/settings/password');
    expect(page.status).toBe(404);
    expect(page.body).toContain('Password changes are not available on this server.');
    expect((await visitor.postJson('/api/change-password', { old_password: 'x', new_password: 'y' })).status).toBe(404);
  });

  it('says so and changes nothing when the users file cannot be written', async () => {
    const world = await startPortal();
    const browser = await signedIn(world);
    const other = await signedIn(world);
    // A folder where the users file was: it cannot be read nor replaced (permissions would not stop root).
    const usersFile = join(world.dir, 'users.yml');
    const before = readFileSync(usersFile);
    renameSync(usersFile, `${usersFile}.away`);
    mkdirSync(usersFile);
    try {
      const failed = await browser.postForm('/settings/password', { current_password: 'password', password: 'new-secret-1', confirmation: 'new-secret-1' });
      expect(failed.status).toBe(500);
      expect(failed.body).toContain('could not be saved');
      expect(failed.body).toContain('your password is unchanged');
      const api = await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' });
      expect(api.status).toBe(500);
      expect(api.json().message).toContain('your password is unchanged');
    } finally {
      rmdirSync(usersFile);
      renameSync(`${usersFile}.away`, usersFile);
    }
    expect(readFileSync(usersFile).equals(before)).toBe(true);
    expect(await works(world, 'password')).toBe(true);
    expect(await works(world, 'new-secret-1')).toBe(false);
    expect(await username(browser)).toBe('john');
    expect(await username(other)).toBe('john');
    expect(notificationText(world)).not.toContain('Password changed');
  });

  it('refuses cross-site requests (CSRF) and changes nothing', async () => {
    const world = await startPortal();
    const browser = await signedIn(world);
    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    const fields = { current_password: 'password', password: 'new-secret-1', confirmation: 'new-secret-1' };
    expect((await browser.postForm('/settings/password', fields, crossSite)).status).toBe(403);
    expect((await browser.postForm('/settings/password/identity', {}, crossSite)).status).toBe(403);
    const api = await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' }, crossSite);
    expect(api.status).toBe(403);
    expect(await works(world, 'password')).toBe(true);
    expect(await username(browser)).toBe('john');
    expect(notificationText(world)).toBe('');
  });
});
