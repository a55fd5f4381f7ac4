import type { SessionState } from './session.js';

/** What a check of a session's user found: end the session, save the updated state, or nothing. */
export type UserCheck = 'ended' | 'updated' | 'unchanged';

/**
 * Re-checks the user of a signed-in session against the user backend, so that removing,
 * disabling or re-passwording a user ends their sessions and group changes reach them
 * (Authelia's `authentication_backend.refresh_interval`).
 *
 * Declared here so that the session layer imports nothing from auth/; the implementation is
 * auth/users/session-refresh.ts, and server/ hands it to the SessionManager.
 */
export interface UserRefresh {
  /**
   * Whether the user of `state` must be checked at this use. Runs on every session load:
   * when the answer is no it costs a comparison or two and at most one Map lookup.
   */
  due(state: SessionState, now: number): boolean;
  /**
   * Looks the user up again by exact username and brings `state` up to date in place.
   * `'ended'`: the user is gone, disabled, or has another password than at sign-in;
   * `'updated'`: `state` changed and must be saved; `'unchanged'`: nothing to save.
   */
  check(state: SessionState, now: number): Promise<UserCheck>;
  /** Records in a freshly signed-in `state` what the user was checked against (password fingerprint, time). */
  stamp(state: SessionState, now: number): void;
  /**
   * Gives the refresh the way to end every session of a user at once, for changes it learns of
   * without a session in hand (a reload of the users file); sessions `keep` accepts are spared.
   * Called once, by the SessionManager.
   */
  connect(endSessions: (username: string, keep?: (state: SessionState) => boolean) => Promise<number>): void;
}
