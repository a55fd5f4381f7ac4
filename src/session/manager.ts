import { serialize } from 'cookie';
import type { SessionCookieConfig } from '../config/session.js';
import { isWithinDomain } from '../shared/authority.js';
import type { Clock } from '../shared/clock.js';
import type { Random } from '../shared/random.js';
import { type Session, type SessionState, anonymousState } from './session.js';
import { hashSessionId, isSessionIdShape, newSessionId } from './session-id.js';
import type { SessionStore } from './store.js';
import type { UserRefresh } from './user-refresh.js';

export interface SessionManagerOptions {
  readonly store: SessionStore;
  readonly cookies: readonly SessionCookieConfig[];
  readonly clock: Clock;
  readonly random: Random;
  /** Re-checks signed-in users against the user backend; without it, sessions keep their login's user details. */
  readonly refresh?: UserRefresh | undefined;
}

/**
 * Session lifecycle for every configured cookie domain: load with expiry checks, create,
 * regenerate (at login), save, touch, destroy, and the Set-Cookie headers that go with them.
 *
 * - `expiration` bounds a session's life from login; `remember_me` replaces it when the user
 *   asked to be remembered, and only then does the cookie persist (`Max-Age`).
 * - `inactivity` ends a session idle for that long; remember-me sessions are exempt.
 * - Activity is written at most every `min(inactivity / 10, 60 s)`, so a request does not
 *   always cost a write; the stored time can only lag, which ends a session early, never late.
 * - With a `refresh`, a load whose user is due for a check looks the user up again: a removed,
 *   disabled or re-passworded user's session ends there; changed groups, emails or display
 *   name are saved into it. The refresh can also end all of a user's sessions at once.
 */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #cookies: readonly SessionCookieConfig[];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #refresh: UserRefresh | undefined;
  #purgeTimer: NodeJS.Timeout | undefined;

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#cookies = options.cookies;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#refresh = options.refresh;
    this.#refresh?.connect((username) => this.destroyUser(username));
  }

  /** The cookie configuration whose domain is `host` or a parent of it. */
  cookieFor(host: string): SessionCookieConfig | undefined {
    return this.#cookies.find((c) => isWithinDomain(host, c.domain));
  }

  /**
   * The live session named by the cookie value `id` under `cookie`, or undefined. An expired,
   * idle or cross-domain session is deleted on the way, and so is one whose user the refresh
   * ends (removed, disabled, password changed); user details the refresh updated are saved.
   */
  async load(cookie: SessionCookieConfig, id: string | undefined): Promise<Session | undefined> {
    if (id === undefined || !isSessionIdShape(id)) return undefined;
    const idHash = hashSessionId(id);
    const state = await this.#store.get(idHash);
    if (!state) return undefined;
    const now = this.#clock.now();
    if (state.cookieDomain !== cookie.domain || this.validUntil(cookie, state) <= now) {
      await this.#store.delete(idHash);
      return undefined;
    }
    if (this.#refresh?.due(state, now)) {
      const checked = await this.#refresh.check(state, now);
      if (checked === 'ended') {
        await this.#store.delete(idHash);
        return undefined;
      }
      if (checked === 'updated') await this.#store.set(idHash, state, this.validUntil(cookie, state));
    }
    return { id, idHash, state };
  }

  /**
   * Records in `state`, just filled with a user who proved their password, what later checks
   * compare against (the password fingerprint and the time of the check). Call before saving.
   */
  signedIn(state: SessionState): void {
    this.#refresh?.stamp(state, this.#clock.now());
  }

  /** A new anonymous session; not stored until saved. */
  create(cookie: SessionCookieConfig): Session {
    const id = newSessionId(this.#random);
    return { id, idHash: hashSessionId(id), state: anonymousState(cookie.domain, this.#clock.now()) };
  }

  /**
   * Gives the session a new ID (call on every login and level change), restarting its
   * lifetime; the old ID stops working at once.
   */
  async regenerate(cookie: SessionCookieConfig, session: Session): Promise<Session> {
    const now = this.#clock.now();
    const id = newSessionId(this.#random);
    const next: Session = { id, idHash: hashSessionId(id), state: { ...session.state, createdAt: now, lastActivity: now } };
    await this.#store.delete(session.idHash);
    await this.save(cookie, next);
    return next;
  }

  async save(cookie: SessionCookieConfig, session: Session): Promise<void> {
    await this.#store.set(session.idHash, session.state, this.validUntil(cookie, session.state));
  }

  /** Records activity, writing only when the stored time is stale by the write granularity. */
  async touch(cookie: SessionCookieConfig, session: Session): Promise<void> {
    const now = this.#clock.now();
    if (now - session.state.lastActivity < Math.min(cookie.inactivity / 10, 60_000)) return;
    session.state.lastActivity = now;
    await this.save(cookie, session);
  }

  async destroy(session: Session): Promise<void> {
    await this.#store.delete(session.idHash);
  }

  /** Ends every session of `username`. */
  destroyUser(username: string): Promise<number> {
    return this.#store.deleteUser(username);
  }

  /** When the session ends if nothing else happens: the earlier of its lifetime and its idle limit. */
  validUntil(cookie: SessionCookieConfig, state: SessionState): number {
    const remembered = state.keepMeLoggedIn && cookie.rememberMe > 0;
    const lifetimeEnd = state.createdAt + (remembered ? cookie.rememberMe : cookie.expiration);
    return remembered ? lifetimeEnd : Math.min(lifetimeEnd, state.lastActivity + cookie.inactivity);
  }

  /** The `Set-Cookie` value that hands `session` to the browser. */
  setCookie(cookie: SessionCookieConfig, session: Session): string {
    const remembered = session.state.keepMeLoggedIn && cookie.rememberMe > 0;
    return serialize(cookie.name, session.id, {
      domain: cookie.domain,
      path: '/',
      httpOnly: true,
      secure: cookie.secure,
      sameSite: cookie.sameSite,
      ...(remembered ? { maxAge: Math.floor(cookie.rememberMe / 1000) } : {}),
    });
  }

  /** The `Set-Cookie` value that removes the session cookie. */
  clearCookie(cookie: SessionCookieConfig): string {
    return serialize(cookie.name, '', {
      domain: cookie.domain,
      path: '/',
      httpOnly: true,
      secure: cookie.secure,
      sameSite: cookie.sameSite,
      maxAge: 0,
      expires: new Date(0),
    });
  }

  /** Deletes expired sessions now. */
  purge(): Promise<number> {
    return this.#store.purgeExpired(this.#clock.now());
  }

  /** Purges every `intervalMs` in the background until `stop()`. Errors go to `onError`. */
  startPurging(intervalMs: number, onError: (error: unknown) => void): void {
    this.stop();
    this.#purgeTimer = setInterval(() => this.purge().catch(onError), intervalMs);
    this.#purgeTimer.unref();
  }

  stop(): void {
    if (this.#purgeTimer) clearInterval(this.#purgeTimer);
    this.#purgeTimer = undefined;
  }
}
