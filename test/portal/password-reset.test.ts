import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PortalClient, portalOrigin, quickDigest, startPortal } from '../helpers/portal.js';

type World = Awaited<ReturnType<typeof startPortal>>;

const sameAnswer = 'If that account exists, a link to reset its password is on its way to its e-mail address.';

function notificationText(world: World): string {
  return existsSync(world.notifications) ? readFileSync(world.notifications, 'utf8') : '';
}

/** The reset links e-mailed so far (sending happens after the answer, hence the wait for the file). */
function resetLinks(world: World): string[] {
  return [...notificationText(world).matchAll(/^(http\S+\/reset-password\/step2\?token=\S+)$/gm)].map((m) => m[1]!);
}

async function requestLink(world: World, client: PortalClient, username = 'john'): Promise<string> {
  const before = resetLinks(world).length;
  const answer = await client.postForm('/reset-password', { username });
  expect(answer.status).toBe(200);
  expect(answer.body).toContain(sameAnswer);
  return vi.waitFor(() => {
    const links = resetLinks(world);
    if (links.length <= before) throw new Error('no link yet');
    return links.at(-1)!;
  });
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
const pathOf = (link: string) => link.slice(portalOrigin.length);

describe('password reset', () => {
  it('signs in links to /reset-password and e-mails a single-use link that sets the new password', async () => {
    const world = await startPortal();
    const browser = new PortalClient(world.gateway);
    expect((await browser.get('/')).body).toContain('<a href="/reset-password">Forgot password?</a>');
    const other = new PortalClient(world.gateway);
    expect((await other.login()).json()).toMatchObject({ status: 'OK' });

    const link = await requestLink(world, browser);
    expect(link.startsWith(`${portalOrigin}/reset-password/step2?token=`)).toBe(true);
    expect(notificationText(world)).toContain('To: john.doe@gatehouse.localhost');
    // Only a hash is stored.
    const stored = ['db.sqlite3', 'db.sqlite3-wal'].map((f) => join(world.dir, f)).filter((f) => existsSync(f));
    expect(stored.length).toBeGreaterThan(0);
    for (const file of stored) expect(readFileSync(file).includes(Buffer.from(tokenOf(link).split('.')[1]!))).toBe(false);

    const form = await browser.get(pathOf(link));
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="confirmation"');
    const done = await browser.postForm('/reset-password/step2', { token: tokenOf(link), password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Password changed');

    expect((await new PortalClient(world.gateway).login('john', 'password')).status).toBe(401);
    expect((await new PortalClient(world.gateway).login('john', 'new-secret-1')).json()).toMatchObject({ status: 'OK' });
    expect((await other.get('/api/state')).json().data.username).toBe('');
    expect(notificationText(world)).toContain('Subject: Password changed');

    // Used once: the same link is refused, nothing changes.
    const again = await browser.postForm('/reset-password/step2', { token: tokenOf(link), password: 'another-2', confirmation: 'another-2' });
    expect(again.status).toBe(400);
    expect(again.body).toContain('has already been used');
    expect((await browser.get(pathOf(link))).status).toBe(400);
    expect((await new PortalClient(world.gateway).login('john', 'new-secret-1')).json()).toMatchObject({ status: 'OK' });
  });

  it('answers the same for unknown users, users without an e-mail, and sends nothing', async () => {
    const world = await startPortal();
    const browser = new PortalClient(world.gateway);
    for (const username of ['nobody', 'bob']) {
      const answer = await browser.postForm('/reset-password', { username });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(sameAnswer);
      expect((await browser.postJson('/api/reset-password/identity/start', { username })).json()).toEqual({ status: 'OK' });
    }
    // A real request afterwards is the only message in the file.
    await requestLink(world, browser);
    expect(notificationText(world).match(/^To: /gm)).toHaveLength(1);
  });

  it('refuses an expired link and a tampered one, and changes nothing', async () => {
    const world = await startPortal();
    const browser = new PortalClient(world.gateway);
    const link = await requestLink(world, browser);
    const token = tokenOf(link);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const forged = await browser.postForm('/reset-password/step2', { token: tampered, password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('This password reset link is not valid');
    expect((await browser.postJson('/api/reset-password', { token: 'garbage', password: 'new-secret-1' })).json()).toMatchObject({ status: 'KO' });

    world.clock.advance(5 * 60_000 + 1);
    expect((await browser.get(pathOf(link))).status).toBe(400);
    const late = await browser.postJson('/api/reset-password', { token, password: 'new-secret-1' });
    expect(late.status).toBe(400);
    expect(late.json().message).toContain('has expired');
    expect((await new PortalClient(world.gateway).login('john', 'password')).json()).toMatchObject({ status: 'OK' });
  });

  it('names the policy rules a refused password breaks, keeps the link usable, and works as JSON', async () => {
    const world = await startPortal({ password_policy: { standard: { enabled: true, min_length: 10, require_number: true } } });
    const browser = new PortalClient(world.gateway);
    const link = await requestLink(world, browser);
    expect((await browser.get(pathOf(link))).body).toContain('The password must be at least 10 characters, with a number.');
    const weak = await browser.postForm('/reset-password/step2', { token: tokenOf(link), password: 'short', confirmation: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('The password must be at least 10 characters, and must contain a number.');
    const mismatch = await browser.postForm('/reset-password/step2', { token: tokenOf(link), password: 'long-enough-1', confirmation: 'long-enough-2' });
    expect(mismatch.body).toContain('The two passwords are not the same.');
    expect((await browser.postJson('/api/reset-password/identity/finish', { token: tokenOf(link) })).json()).toEqual({ status: 'OK' });
    expect((await browser.postJson('/api/reset-password', { token: tokenOf(link), password: 'long-enough-1' })).json()).toEqual({ status: 'OK' });
    expect((await new PortalClient(world.gateway).login('john', 'long-enough-1')).json()).toMatchObject({ status: 'OK' });
  });

  it('is off with password_reset.disable, and links elsewhere with custom_url', async () => {
    const backend = (world: { dir: string }, extra: Record<string, unknown>) => ({
      authentication_backend: { file: { path: `${world.dir}/users.yml` }, password_reset: extra },
    });
    const off = await startPortal();
    const disabled = await startPortal(backend(off, { disable: true }));
    const browser = new PortalClient(disabled.gateway);
    expect((await browser.get('/')).body).not.toContain('Forgot password?');
    expect((await browser.get('/reset-password')).status).toBe(404);
    expect((await browser.postJson('/api/reset-password/identity/start', { username: 'john' })).status).toBe(404);

    const custom = await startPortal(backend(off, { custom_url: 'https://id.example.com/forgot?x=1&y=2' }));
    const visitor = new PortalClient(custom.gateway);
    expect((await visitor.get('/')).body).toContain('<a href="https://id.example.com/forgot?x=1&amp;y=2">Forgot password?</a>');
    expect((await visitor.postForm('/reset-password', { username: 'john' })).status).toBe(404);
  });

  it('shows an error page and keeps the old password when the users file cannot be written', async () => {
    const world = await startPortal();
    const browser = new PortalClient(world.gateway);
    const link = await requestLink(world, browser);
    // A folder where the users file was: it cannot be read nor replaced (permissions would not stop root).
    const usersFile = join(world.dir, 'users.yml');
    const before = readFileSync(usersFile);
    renameSync(usersFile, `${usersFile}.away`);
    mkdirSync(usersFile);
    try {
      const failed = await browser.postForm('/reset-password/step2', { token: tokenOf(link), password: 'new-secret-1', confirmation: 'new-secret-1' });
      expect(failed.status).toBe(500);
      expect(failed.body).toContain('your old password still works');
    } finally {
      rmdirSync(usersFile);
      renameSync(`${usersFile}.away`, usersFile);
    }
    expect(readFileSync(usersFile).equals(before)).toBe(true);
    expect((await new PortalClient(world.gateway).login('john', 'password')).json()).toMatchObject({ status: 'OK' });
    expect((await new PortalClient(world.gateway).login('john', 'new-secret-1')).status).toBe(401);
  });

  it("keeps an administrator's edit of the users file made while the reset was in progress", async () => {
    const world = await startPortal();
    const browser = new PortalClient(world.gateway);
    const link = await requestLink(world, browser);
    // The admin's editor, between the e-mail and the new password: bob renamed, carol added, a comment.
    const usersFile = join(world.dir, 'users.yml');
    const edited = `# edited by hand\n${readFileSync(usersFile, 'utf8').replace('displayname: Bob', 'displayname: Robert')}\n  carol:\n    displayname: Carol\n    password: '${quickDigest('carolpassword')}'\n`;
    writeFileSync(usersFile, edited);
    const done = await browser.postForm('/reset-password/step2', { token: tokenOf(link), password: 'new-secret-1', confirmation: 'new-secret-1' });
    expect(done.status).toBe(200);
    const after = readFileSync(usersFile, 'utf8');
    expect(after.startsWith('# edited by hand\n')).toBe(true);
    expect(after).toContain('displayname: Robert');
    expect(after).toContain('carol:');
    expect((await new PortalClient(world.gateway).login('john', 'new-secret-1')).json()).toMatchObject({ status: 'OK' });
    expect((await new PortalClient(world.gateway).login('carol', 'carolpassword')).json()).toMatchObject({ status: 'OK' });
  });

  it('limits reset e-mails per account and per IP', async () => {
    // The per-account and per-IP counts of the reset itself; Authelia's rate limit in front of it (5 at once per IP) is off here (test/portal/rate-limits.test.ts).
    const world = await startPortal({ server: { address: 'tcp://127.0.0.1:0', endpoints: { rate_limits: { reset_password_start: { enable: false } } } } });
    const browser = new PortalClient(world.gateway);
    for (let i = 0; i < 3; i++) await requestLink(world, browser);
    expect((await browser.postForm('/reset-password', { username: 'john' })).body).toContain(sameAnswer);
    for (let i = 0; i < 6; i++) expect((await browser.postJson('/api/reset-password/identity/start', { username: `u${i}` })).status).toBe(200);
    expect((await browser.postJson('/api/reset-password/identity/start', { username: 'x' })).status).toBe(429);
    // The 4th request for john sent nothing (3 links in the file).
    expect(resetLinks(world)).toHaveLength(3);
  });
});
