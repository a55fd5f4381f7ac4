import type { AuthenticationBackendConfig } from '../../config/authentication-backend.js';
import type { SessionState } from '../../session/session.js';
import type { UserCheck, UserRefresh } from '../../session/user-refresh.js';
import type { Clock } from '../../shared/clock.js';
import type { Account, UserDirectory } from './user-directory.js';
import { type EndReason, type UsersDiff, endedUsers, sameList } from './users-diff.js';

/** What the refresh logs (a pino logger fits). Usernames and reasons only, never digests. */
export interface RefreshLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface SessionRefreshOptions {
  readonly users: UserDirectory;
  /** `authentication_backend.refresh_interval`: ms, `'always'` or `'disable'`. */
  readonly interval: AuthenticationBackendConfig['refreshInterval'];
  readonly clock: Clock;
  readonly logger?: RefreshLogger;
}

const said: Record<EndReason, string> = {
  removed: 'the user is no longer in the users file',
  disabled: 'the user is disabled',
  'password changed': 'the password changed since sign-in',
};

const silent: RefreshLogger = { info() {}, error() {} };

/**
 * Keeps sessions in step with the users file (the session layer's {@link UserRefresh}).
 *
 * - On a reload, every session of a removed, disabled or re-passworded user ends at once,
 *   whatever the interval, `disable` included: editing the file is an explicit act.
 * - On a use, a session is checked again when `refresh_interval` has passed since its last
 *   check (`always`: at every use; `disable`: never), when a reload changed its user since
 *   that check, or when it was last checked before this process started (the file may have
 *   changed while Gatehouse was down). The user is looked up by exact username: removed,
 *   disabled or with another password than at sign-in ends the session; new groups, emails or
 *   display name are written into it.
 * - A session without a password fingerprint (stored before fingerprints existed) adopts the
 *   current one at its first check rather than ending.
 */
export class UserSessionRefresh implements UserRefresh {
  readonly #users: UserDirectory;
  readonly #interval: AuthenticationBackendConfig['refreshInterval'];
  readonly #logger: RefreshLogger;
  readonly #clock: Clock;
  /** When this process began checking sessions. */
  readonly #since: number;
  /** Username → when the latest reload changed that user; dropped once the interval has passed. */
  readonly #changedAt = new Map<string, number>();
  #endSessions: ((username: string, keep?: (state: SessionState) => boolean) => Promise<number>) | undefined;

  constructor(options: SessionRefreshOptions) {
    this.#users = options.users;
    this.#interval = options.interval;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silent;
    this.#since = options.clock.now();
    options.users.onReload((outcome) => {
      if (outcome.ok) this.#reloaded(outcome.changes);
    });
  }

  due(state: SessionState, now: number): boolean {
    const interval = this.#interval;
    if (state.username === '' || interval === 'disable') return false;
    if (interval === 'always') return true;
    const checked = state.refreshedAt;
    if (checked === undefined || now - checked >= interval || checked < this.#since) return true;
    const changed = this.#changedAt.get(state.username);
    return changed !== undefined && changed >= checked;
  }

  async check(state: SessionState, now: number): Promise<UserCheck> {
    const account = this.#users.account(state.username);
    if (account === undefined) return this.#end(state, 'removed');
    const reason = endReason(account, state);
    if (reason !== undefined) return this.#end(state, reason);
    const changed = update(state, account);
    if (changed.length > 0) this.#logger.info({ username: state.username, changed }, 'session user details refreshed from the users file');
    let updated = changed.length > 0;
    if (state.passwordFingerprint === undefined) {
      state.passwordFingerprint = account.passwordFingerprint;
      updated = true;
    }
    if (typeof this.#interval === 'number' && state.refreshedAt !== now) {
      state.refreshedAt = now;
      updated = true;
    }
    return updated ? 'updated' : 'unchanged';
  }

  stamp(state: SessionState, now: number): void {
    const account = this.#users.account(state.username);
    // A user gone or disabled since the password check stays unstamped: the next use checks it.
    if (account === undefined || account.disabled) return;
    state.passwordFingerprint = account.passwordFingerprint;
    state.refreshedAt = now;
  }

  #end(state: SessionState, reason: EndReason): UserCheck {
    this.#logger.info({ username: state.username, reason }, `session ended: ${said[reason]}`);
    return 'ended';
  }

  connect(endSessions: (username: string, keep?: (state: SessionState) => boolean) => Promise<number>): void {
    this.#endSessions = endSessions;
  }

  #reloaded(changes: UsersDiff): void {
    const now = this.#clock.now();
    if (typeof this.#interval === 'number') {
      for (const [username, at] of this.#changedAt) if (now - at >= this.#interval) this.#changedAt.delete(username);
    }
    for (const { username, reason } of endedUsers(changes)) {
      this.#changedAt.set(username, now);
      void this.#endAll(username, reason);
    }
    for (const username of changes.detailsChanged) this.#changedAt.set(username, now);
  }

  async #endAll(username: string, reason: EndReason): Promise<void> {
    if (this.#endSessions === undefined) return;
    // A password changed through Gatehouse (the settings page) stamped the session it was changed
    // from with the new password before writing the file: that one is spared, every other ends.
    const fingerprint = reason === 'password changed' ? this.#users.account(username)?.passwordFingerprint : undefined;
    const keep = fingerprint === undefined ? undefined : (state: SessionState) => state.passwordFingerprint === fingerprint;
    try {
      const sessions = await this.#endSessions(username, keep);
      this.#logger.info({ username, reason, sessions }, `users file reloaded: every session of the user ended, ${said[reason]}`);
    } catch (error) {
      this.#logger.error({ username, reason, err: error }, 'users file reloaded: could not end the sessions of the user');
    }
  }
}

function endReason(account: Account, state: SessionState): EndReason | undefined {
  if (account.disabled) return 'disabled';
  const signedIn = state.passwordFingerprint;
  return signedIn !== undefined && signedIn !== account.passwordFingerprint ? 'password changed' : undefined;
}

/** Copies the account's display name, emails and groups into `state`; returns the fields that changed. */
function update(state: SessionState, account: Account): string[] {
  const changed: string[] = [];
  if (state.displayName !== account.displayName) {
    state.displayName = account.displayName;
    changed.push('displayName');
  }
  if (!sameList(state.emails, account.emails)) {
    state.emails = [...account.emails];
    changed.push('emails');
  }
  if (!sameList(state.groups, account.groups)) {
    state.groups = [...account.groups];
    changed.push('groups');
  }
  return changed;
}
