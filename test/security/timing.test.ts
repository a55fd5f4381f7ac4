/**
 * Attack class 8: telling known users from unknown ones by timing. Not a timed assertion (the
 * measurement is bench/login-timing.mjs): every password attempt must do the same work whoever it
 * names — exactly one password verification, against a digest of the same algorithm and cost —
 * and get the same answer. The verification is observed by wrapping the real `verifyPassword`
 * (a module mock that calls through), so nothing about the login path is replaced.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { hashWithConfig } from '../../src/auth/password/configured-hash.js';
import { escapeHtml } from '../../src/shared/html/escape.js';
import { configOf, minimalRaw } from '../helpers/config.js';
import { sharedWorld, type World } from './world.js';

const verified = vi.hoisted(() => [] as string[]);

vi.mock('../../src/auth/password/verify.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/auth/password/verify.js')>();
  return {
    ...original,
    verifyPassword: (digest: string, password: string) => {
      verified.push(digest);
      return original.verifyPassword(digest, password);
    },
  };
});

/** The users' digests and the dummy digest are made with this (cheap, but a real format with a cost). */
const hashing = { algorithm: 'sha2crypt', sha2crypt: { variant: 'sha512', iterations: 5000 } };
const domain = 'gatehouse.localhost';

/** `$6$rounds=5000$`: what a digest says about the work it takes, without its salt and hash. */
const costOf = (digest: string) => digest.split('$').slice(0, 3).join('$');

async function worldOptions() {
  // The hashing section as the gateway will read it (parsed with a throwaway users file).
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-timing-'));
  writeFileSync(join(dir, 'users.yml'), 'users: {}\n');
  const config = configOf(minimalRaw(dir, { authentication_backend: { file: { path: join(dir, 'users.yml'), password: hashing } } }));
  rmSync(dir, { recursive: true });
  const password = config.authenticationBackend!.file!.password;
  const user = async (name: string, extra: Record<string, unknown> = {}) => ({
    password: `${name}-password`,
    digest: await hashWithConfig(`${name}-password`, password),
    groups: ['dev'],
    email: `${name}@${domain}`,
    ...extra,
  });
  return {
    domain,
    users: {
      john: await user('john'),
      bob: await user('bob'),
      ref: await user('ref'),
      banned: await user('banned'),
      gone: await user('gone', { disabled: true }),
    },
    usersFile: { password: hashing, search: { email: true, case_insensitive: true } },
    config: {
      regulation: { modes: ['user'], max_retries: 3, find_time: '10m', ban_time: '1h' },
    },
  };
}

/** What one attempt did and answered (the login form's page shows the typed name again: that part is blanked). */
async function attempt(username: string, send: () => Promise<{ status: number; body: string; headers: Record<string, unknown> }>) {
  const before = verified.length;
  const reply = await send();
  const digests = verified.slice(before);
  const body = reply.body.replaceAll(`value="${escapeHtml(username)}"`, 'value="…"');
  return { status: reply.status, body, type: reply.headers['content-type'], costs: digests.map(costOf) };
}

describe('user enumeration by timing: CVE-2023-39522 (authentik), Authelia timing_attack_delay (GHSA-hjj4-hfjm-fmrj fix); ASVS 2.2.1, 3.2.x, OWASP "same generic message"', () => {
  const world = sharedWorld(worldOptions);
  const api = (w: World, username: string, password: string) => () => w.client().postJson('/api/firstfactor', { username, password });
  const form = (w: World, username: string, password: string) => () => w.client().postForm('/login', { username, password });
  const basic = (w: World, username: string, password: string) => async () => {
    const reply = await w.inject({
      method: 'GET',
      url: '/api/authz/forward-auth',
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `app.${domain}`,
        'x-forwarded-uri': '/',
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      },
    });
    return { status: reply.statusCode, body: reply.body, headers: reply.headers };
  };

  const failures: [string, string, string][] = [
    ['a known user, wrong password', 'john', 'wrong'],
    ['an unknown user', 'nobody-at-all', 'wrong'],
    ['an unknown e-mail address', 'nobody@gatehouse.localhost', 'wrong'],
    ['a known e-mail address, wrong password', 'john@gatehouse.localhost', 'wrong'],
    ['a known user in another case, wrong password', 'JOHN', 'wrong'],
    ['a disabled user, right password', 'gone', 'gone-password'],
    ['a banned user, right password', 'banned', 'banned-password'],
    ['a very long unknown name', 'x'.repeat(256), 'wrong'],
  ];

  it('the ban of the "banned" user is in place (three failures), so its case below is a banned attempt', async () => {
    const w = world();
    for (let i = 0; i < 3; i++) expect((await api(w, 'banned', 'wrong')()).status).toBe(401);
    expect((await api(w, 'banned', 'banned-password')()).status).toBe(401);
  });

  describe.each([
    ['POST /api/firstfactor', api],
    ['POST /login (form)', form],
    ['forward-auth with HTTP Basic', basic],
  ] as const)('%s', (_name, via) => {
    it('control: the right password signs in, after one verification of the same cost', async () => {
      const w = world();
      const done = await attempt('bob', via(w, 'bob', 'bob-password'));
      expect(done.status).toBeLessThan(400);
      expect(done.costs).toEqual(['$6$rounds=5000']);
    });

    it.each(failures)('%s: one verification of the same algorithm and cost, and the same answer as any other failure', async (_case, username, password) => {
      const w = world();
      // The reference failure is another user's wrong password (that user is soon banned: the answer is the same).
      const reference = await attempt('ref', via(w, 'ref', 'wrong'));
      const probe = await attempt(username, via(w, username, password));
      expect(probe.costs).toEqual(['$6$rounds=5000']);
      expect({ ...probe, costs: undefined }).toEqual({ ...reference, costs: undefined });
    });
  });

  it('the dummy digest is of the configured algorithm and cost (not a fixed cheap one)', async () => {
    const w = world();
    const before = verified.length;
    await api(w, 'nobody-else', 'x')();
    const dummy = verified[before]!;
    expect(costOf(dummy)).toBe('$6$rounds=5000');
    // It is not one of the users' digests.
    expect(Object.values(w.users).map((u) => u.digest)).not.toContain(dummy);
  });

  it('password reset answers a known and an unknown name alike (the e-mail is sent after the answer)', async () => {
    const w = world();
    const known = await w.client({ headers: { 'x-forwarded-for': '192.0.2.1' } }).postForm('/reset-password', { username: 'john' });
    const unknown = await w.client({ headers: { 'x-forwarded-for': '192.0.2.2' } }).postForm('/reset-password', { username: 'nobody-at-all' });
    expect([unknown.status, unknown.body]).toEqual([known.status, known.body]);
    const api1 = await w.client().postJson('/api/reset-password/identity/start', { username: 'bob' });
    const api2 = await w.client().postJson('/api/reset-password/identity/start', { username: 'nobody-at-all' });
    expect([api2.status, api2.body]).toEqual([api1.status, api1.body]);
  });
});
