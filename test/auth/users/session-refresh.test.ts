import { describe, expect, it } from 'vitest';
import type { ReloadOutcome } from '../../../src/auth/users/user-directory.js';
import { passwordFingerprint } from '../../../src/auth/users/password-fingerprint.js';
import { UserSessionRefresh } from '../../../src/auth/users/session-refresh.js';
import type { Account, UserDirectory } from '../../../src/auth/users/user-directory.js';
import type { UsersDiff } from '../../../src/auth/users/users-diff.js';
import type { AuthenticationBackendConfig } from '../../../src/config/authentication-backend.js';
import { AuthLevel } from '../../../src/rules/policy.js';
import { type SessionState, anonymousState } from '../../../src/session/session.js';
import { ManualClock } from '../../../src/shared/clock.js';

const minute = 60_000;
const noChanges: UsersDiff = { removed: [], disabled: [], passwordChanged: [], detailsChanged: [] };

/** A users directory the test edits by hand; `reload` tells listeners as the file backend does. */
class FakeDirectory implements UserDirectory {
  readonly accounts = new Map<string, Account>();
  readonly #listeners = new Set<(outcome: ReloadOutcome) => void>();
  lookups = 0;

  set(username: string, fields: Partial<Account> & { digest?: string } = {}): void {
    const { digest = `$digest-of-${username}`, ...rest } = fields;
    this.accounts.set(username, {
      username,
      displayName: username,
      emails: [`${username}@example.com`],
      groups: ['dev'],
      profile: {},
      disabled: false,
      passwordFingerprint: passwordFingerprint(digest),
      ...rest,
    });
  }

  account(username: string): Account | undefined {
    this.lookups++;
    return this.accounts.get(username);
  }

  onReload(listener: (outcome: ReloadOutcome) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  fail(): void {
    for (const listener of this.#listeners) listener({ ok: false, problems: ['users: must be a mapping but is a list'] });
  }

  reload(changes: Partial<UsersDiff>): void {
    for (const listener of this.#listeners) listener({ ok: true, users: this.accounts.size, changes: { ...noChanges, ...changes } });
  }
}

function setup(interval: AuthenticationBackendConfig['refreshInterval'] = 5 * minute) {
  const clock = new ManualClock();
  const users = new FakeDirectory();
  users.set('john', { groups: ['admins', 'dev'] });
  users.set('bob');
  const logged: { details: Record<string, unknown>; message: string }[] = [];
  const log = (details: object, message: string) => logged.push({ details: details as Record<string, unknown>, message });
  const refresh = new UserSessionRefresh({ users, interval, clock, logger: { info: log, error: log } });
  const ended: string[] = [];
  refresh.connect(async (username) => {
    ended.push(username);
    return 2;
  });
  /** A session state as first-factor fills it for `username`, stamped now. */
  const signedIn = (username: string): SessionState => {
    const state = anonymousState('example.com', clock.now());
    const account = users.accounts.get(username)!;
    Object.assign(state, { username, displayName: account.displayName, groups: [...account.groups], emails: [...account.emails], level: AuthLevel.oneFactor });
    refresh.stamp(state, clock.now());
    return state;
  };
  return { clock, users, refresh, logged, ended, signedIn };
}

describe('UserSessionRefresh: when a session is due', () => {
  it('with an interval: not before it has passed since the last check, then at once', () => {
    const { clock, refresh, signedIn } = setup(5 * minute);
    const state = signedIn('john');
    expect(refresh.due(state, clock.now())).toBe(false);
    expect(refresh.due(state, clock.now() + 5 * minute - 1)).toBe(false);
    expect(refresh.due(state, clock.now() + 5 * minute)).toBe(true);
  });

  it("'always' at every use, 'disable' never, and anonymous sessions never", () => {
    const always = setup('always');
    const state = always.signedIn('john');
    expect(always.refresh.due(state, always.clock.now())).toBe(true);
    const never = setup('disable');
    const old = never.signedIn('john');
    delete old.refreshedAt;
    expect(never.refresh.due(old, never.clock.now() + 365 * 24 * 60 * minute)).toBe(false);
    expect(always.refresh.due(anonymousState('example.com', 0), always.clock.now())).toBe(false);
  });

  it('a session without a check time (stored before user refresh existed) is due at once', () => {
    const { clock, refresh, signedIn } = setup();
    const state = signedIn('john');
    delete state.refreshedAt;
    expect(refresh.due(state, clock.now())).toBe(true);
  });

  it('a session last checked before this process started is due at once (the file may have changed meanwhile)', () => {
    const { clock, refresh, signedIn } = setup();
    const state = signedIn('john');
    state.refreshedAt = clock.now() - 1;
    expect(refresh.due(state, clock.now())).toBe(true);
  });

  it('users a reload changed are due at their next use, before the interval; others are not', () => {
    const { clock, users, refresh, signedIn } = setup();
    const john = signedIn('john');
    const bob = signedIn('bob');
    clock.advance(minute);
    users.reload({ detailsChanged: ['john'] });
    expect(refresh.due(john, clock.now())).toBe(true);
    expect(refresh.due(bob, clock.now())).toBe(false);
  });

  it('a session checked after the reload is not due again until the interval', async () => {
    const { clock, users, refresh, signedIn } = setup();
    const john = signedIn('john');
    clock.advance(minute);
    users.reload({ detailsChanged: ['john'] });
    clock.advance(1);
    expect(await refresh.check(john, clock.now())).toBe('updated');
    expect(refresh.due(john, clock.now())).toBe(false);
    expect(refresh.due(john, clock.now() + 5 * minute)).toBe(true);
  });

  it('costs no user lookup when not due', () => {
    const { clock, users, refresh, signedIn } = setup();
    const state = signedIn('john');
    users.lookups = 0;
    for (let i = 0; i < 100; i++) refresh.due(state, clock.now());
    expect(users.lookups).toBe(0);
  });
});

describe('UserSessionRefresh: checking a session', () => {
  it('ends the session of a removed user, a disabled user, and a user whose password changed, and logs why', async () => {
    const { clock, users, refresh, logged, signedIn } = setup();
    const john = signedIn('john');
    const bob = signedIn('bob');
    users.set('carol');
    const carol = signedIn('carol');
    users.accounts.delete('john');
    users.set('bob', { disabled: true });
    users.set('carol', { digest: '$a-new-digest' });
    expect(await refresh.check(john, clock.now())).toBe('ended');
    expect(await refresh.check(bob, clock.now())).toBe('ended');
    expect(await refresh.check(carol, clock.now())).toBe('ended');
    expect(logged).toEqual([
      { details: { username: 'john', reason: 'removed' }, message: 'session ended: the user is no longer in the users file' },
      { details: { username: 'bob', reason: 'disabled' }, message: 'session ended: the user is disabled' },
      { details: { username: 'carol', reason: 'password changed' }, message: 'session ended: the password changed since sign-in' },
    ]);
    expect(JSON.stringify(logged)).not.toContain('$a-new-digest');
  });

  it('writes new groups, emails and display name into the session, and logs which changed', async () => {
    const { clock, users, refresh, logged, signedIn } = setup();
    const state = signedIn('john');
    users.set('john', { groups: ['dev'], emails: ['john@example.org'], displayName: 'John Doe' });
    clock.advance(minute);
    expect(await refresh.check(state, clock.now())).toBe('updated');
    expect(state).toMatchObject({ groups: ['dev'], emails: ['john@example.org'], displayName: 'John Doe', refreshedAt: clock.now() });
    expect(logged).toEqual([
      { details: { username: 'john', changed: ['displayName', 'emails', 'groups'] }, message: 'session user details refreshed from the users file' },
    ]);
  });

  it("with 'always', an unchanged user needs no save (no write per request)", async () => {
    const { clock, refresh, signedIn } = setup('always');
    const state = signedIn('john');
    clock.advance(minute);
    expect(await refresh.check(state, clock.now())).toBe('unchanged');
  });

  it('with an interval, a check records its time (saved, so the next uses are not due)', async () => {
    const { clock, refresh, signedIn } = setup();
    const state = signedIn('john');
    clock.advance(6 * minute);
    expect(await refresh.check(state, clock.now())).toBe('updated');
    expect(state.refreshedAt).toBe(clock.now());
    expect(await refresh.check(state, clock.now())).toBe('unchanged');
  });

  it('a session without a password fingerprint adopts the current one instead of ending', async () => {
    const { clock, users, refresh, signedIn } = setup('always');
    const state = signedIn('john');
    delete state.passwordFingerprint;
    users.set('john', { groups: ['admins', 'dev'], digest: '$changed-before-the-upgrade' });
    expect(await refresh.check(state, clock.now())).toBe('updated');
    expect(state.passwordFingerprint).toBe(passwordFingerprint('$changed-before-the-upgrade'));
    users.set('john', { groups: ['admins', 'dev'], digest: '$changed-after' });
    expect(await refresh.check(state, clock.now())).toBe('ended');
  });
});

describe('UserSessionRefresh: stamp at sign-in', () => {
  it('records the fingerprint of the current digest (16 hex characters of its SHA-256) and the time', () => {
    const { clock, signedIn } = setup();
    const state = signedIn('john');
    expect(state.passwordFingerprint).toBe(passwordFingerprint('$digest-of-john'));
    expect(state.passwordFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(state.refreshedAt).toBe(clock.now());
  });

  it('leaves a user removed or disabled meanwhile unstamped, so the next use checks and ends it', async () => {
    const { clock, users, refresh } = setup();
    const state = anonymousState('example.com', clock.now());
    state.username = 'ghost';
    refresh.stamp(state, clock.now());
    expect(state.passwordFingerprint).toBeUndefined();
    expect(state.refreshedAt).toBeUndefined();
    users.set('bob', { disabled: true });
    state.username = 'bob';
    refresh.stamp(state, clock.now());
    expect(state.passwordFingerprint).toBeUndefined();
  });
});

describe('UserSessionRefresh: reloads', () => {
  it.each(['always', 'disable', 5 * minute] as const)(
    'ends every session of removed, disabled and re-passworded users at once (refresh_interval %s)',
    async (interval) => {
      const { users, ended, logged } = setup(interval);
      users.reload({ removed: ['harry'], disabled: ['bob'], passwordChanged: ['john'], detailsChanged: ['ann'] });
      await new Promise((resolve) => setImmediate(resolve));
      expect(ended).toEqual(['harry', 'bob', 'john']);
      expect(logged).toEqual([
        {
          details: { username: 'harry', reason: 'removed', sessions: 2 },
          message: 'users file reloaded: every session of the user ended, the user is no longer in the users file',
        },
        {
          details: { username: 'bob', reason: 'disabled', sessions: 2 },
          message: 'users file reloaded: every session of the user ended, the user is disabled',
        },
        {
          details: { username: 'john', reason: 'password changed', sessions: 2 },
          message: 'users file reloaded: every session of the user ended, the password changed since sign-in',
        },
      ]);
    },
  );

  it('logs an error when the sessions cannot be ended', async () => {
    const { users, refresh, logged } = setup();
    refresh.connect(async () => {
      throw new Error('database is locked');
    });
    users.reload({ removed: ['harry'] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toMatchObject([
      { details: { username: 'harry', reason: 'removed' }, message: 'users file reloaded: could not end the sessions of the user' },
    ]);
  });

  it('ignores a reload that failed (the previous users stay in force)', async () => {
    const { clock, users, refresh, ended, signedIn } = setup();
    const john = signedIn('john');
    clock.advance(1);
    users.fail();
    await new Promise((resolve) => setImmediate(resolve));
    expect(refresh.due(john, clock.now())).toBe(false);
    expect(ended).toEqual([]);
  });
});
