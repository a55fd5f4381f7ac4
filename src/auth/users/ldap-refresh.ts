import type { AuthenticationBackendConfig } from '../../config/authentication-backend.js';
import type { SessionState } from '../../session/session.js';
import type { UserCheck, UserRefresh } from '../../session/user-refresh.js';
import type { LdapUser } from './ldap-backend.js';
import type { RefreshLogger } from './session-refresh.js';
import { sameList } from './users-diff.js';

export interface LdapSessionRefreshOptions {
  /** Looks a user up by exact username (LdapUserBackend.lookup): undefined when removed or filtered out, throws when the directory is down. */
  readonly lookup: (username: string) => Promise<LdapUser | undefined>;
  /** `authentication_backend.refresh_interval`: ms, `'always'` or `'disable'`. */
  readonly interval: AuthenticationBackendConfig['refreshInterval'];
  readonly logger?: RefreshLogger;
}

const silent: RefreshLogger = { info() {}, error() {} };

/**
 * Keeps sessions in step with the LDAP directory (the session layer's {@link UserRefresh}):
 * when `refresh_interval` has passed since a session's last check (`always`: at every use;
 * `disable`: never), its user is searched again with `users_filter`. A user the directory no
 * longer returns — deleted, or disabled so the filter excludes them — ends the session; new
 * groups, e-mails or display name are written into it. A directory that cannot answer throws
 * (StoreUnavailableError): the request is refused with 503, the session is kept for when the
 * directory is back. The directory tells of no change by itself, so nothing ends between uses.
 */
export class LdapSessionRefresh implements UserRefresh {
  readonly #lookup: LdapSessionRefreshOptions['lookup'];
  readonly #interval: AuthenticationBackendConfig['refreshInterval'];
  readonly #logger: RefreshLogger;

  constructor(options: LdapSessionRefreshOptions) {
    this.#lookup = options.lookup;
    this.#interval = options.interval;
    this.#logger = options.logger ?? silent;
  }

  due(state: SessionState, now: number): boolean {
    const interval = this.#interval;
    if (state.username === '' || interval === 'disable') return false;
    if (interval === 'always') return true;
    return state.refreshedAt === undefined || now - state.refreshedAt >= interval;
  }

  async check(state: SessionState, now: number): Promise<UserCheck> {
    const user = await this.#lookup(state.username);
    if (user === undefined) {
      this.#logger.info(
        { username: state.username, reason: 'removed' },
        'session ended: the directory no longer returns the user (removed, or excluded by users_filter)',
      );
      return 'ended';
    }
    const changed = update(state, user);
    if (changed.length > 0) this.#logger.info({ username: state.username, changed }, 'session user details refreshed from the directory');
    let updated = changed.length > 0;
    if (typeof this.#interval === 'number' && state.refreshedAt !== now) {
      state.refreshedAt = now;
      updated = true;
    }
    return updated ? 'updated' : 'unchanged';
  }

  stamp(state: SessionState, now: number): void {
    state.refreshedAt = now;
  }

  /** The directory announces no changes: there is nothing to end outside a session's use. */
  connect(): void {}
}

/** Copies the user's display name, emails and groups into `state`; returns the fields that changed. */
function update(state: SessionState, user: LdapUser): string[] {
  const changed: string[] = [];
  if (state.displayName !== user.displayName) {
    state.displayName = user.displayName;
    changed.push('displayName');
  }
  if (!sameList(state.emails, user.emails)) {
    state.emails = [...user.emails];
    changed.push('emails');
  }
  if (!sameList(state.groups, user.groups)) {
    state.groups = [...user.groups];
    changed.push('groups');
  }
  return changed;
}
