import { serialize } from 'cookie';
import type { SessionCookieConfig } from '../config/session.js';
import { isWithinDomain } from '../shared/authority.js';
import type { Clock } from '../shared/clock.js';
import type { Random } from '../shared/random.js';
import { type EndedSession, type Session, type SessionEndReason, type SessionState, anonymousState } from './session.js';
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
  readonly #endListeners: ((ended: readonly EndedSession[]) => Promise<void> | void)[] = [];

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#cookies = options.cookies;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#refresh = options.refresh;
    this.#refresh?.connect((username, keep) => this.destroyUser(username, 'user-changed', keep));
  }

  /**
   * Calls `listener` with every signed-in session that ends, however it ends: logout (portal,
   * RP-initiated), everywhere, an administrator's revocation, expiry or inactivity (found on use
   * or by the purge), a user removed or changed in the users file. Single logout hangs here.
   * Errors of a listener go to `onError`; they never stop the session from ending.
   */
  onEnded(listener: (ended: readonly EndedSession[]) => Promise<void> | void): void {
    this.#endListeners.push(listener);
  }

  async #ended(records: readonly { idHash: string; username: string; sid: string | undefined }[], reason: SessionEndReason): Promise<void> {
    const ended = records.filter((r) => r.username !== '').map((r) => ({ idHash: r.idHash, username: r.username, sid: r.sid, reason }));
    if (ended.length === 0) return;
    for (const listener of this.#endListeners) {
      try {
        await listener(ended);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  #onListenerError: (error: unknown) => void = () => undefined;

  /** Where errors of `onEnded` listeners go (the server logs them). */
  set listenerErrors(handler: (error: unknown) => void) {
    this.#onListenerError = handler;
  }

  /** The cookie configuration whose domain is `host` or a parent of it. */
  cookieFor(host: string): SessionCookieConfig | undefined {
    return this.#cookies.find((c) => isWithinDomain(host, c.domain));
  }

  /**
   * The live session named by `id` straight from the in-process cache, when answering needs no
   * store call and no write: undefined when there is certainly none (no cookie, not an ID's
   * shape); null when it must be loaded with {@link load} (not cached, expired or of another
   * domain — `load` deletes it —, its user refresh or its activity write due). The state is
   * frozen and shared: read it, never change it. Forward-auth's hot path (authz/evaluate.ts).
   */
  loadCached(cookie: SessionCookieConfig, id: string | undefined): Session | undefined | null {
    if (id === undefined || !isSessionIdShape(id)) return undefined;
    if (this.#store.peek === undefined) return null;
    const idHash = hashSessionId(id);
    const state = this.#store.peek(idHash);
    if (state === undefined) return null;
    const now = this.#clock.now();
    if (state.cookieDomain !== cookie.domain || this.validUntil(cookie, state) <= now) return null;
    if (this.#refresh?.due(state, now) || touchDue(cookie, state, now)) return null;
    return { id, idHash, state: state as SessionState };
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
      await this.#ended([{ idHash, username: state.username, sid: state.sid }], state.cookieDomain !== cookie.domain ? 'invalid' : 'expired');
      return undefined;
    }
    if (this.#refresh?.due(state, now)) {
      const checked = await this.#refresh.check(state, now);
      if (checked === 'ended') {
        await this.#store.delete(idHash);
        await this.#ended([{ idHash, username: state.username, sid: state.sid }], 'user-changed');
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
  signedIn(state: SessionState, previous?: SessionState): void {
    this.#refresh?.stamp(state, this.#clock.now());
    // The same user signing in again in this browser session keeps its `sid`; anyone else gets a new one.
    state.sid = previous?.username === state.username && previous.sid ? previous.sid : this.#random.bytes(16).toString('base64url');
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
    // Another user signing in over a signed-in session (a new `sid`, see signedIn) ends that
    // user's session: announced like any other end, so single logout reaches its clients.
    const replaced = await this.#store.get(session.idHash);
    await this.#store.delete(session.idHash);
    await this.save(cookie, next);
    if (replaced?.username && replaced.sid !== next.state.sid) {
      await this.#ended([{ idHash: session.idHash, username: replaced.username, sid: replaced.sid }], 'logout');
    }
    return next;
  }

  async save(cookie: SessionCookieConfig, session: Session): Promise<void> {
    await this.#store.set(session.idHash, session.state, this.validUntil(cookie, session.state));
  }

  /** Records activity, writing only when the stored time is stale by the write granularity. */
  touch(cookie: SessionCookieConfig, session: Session): Promise<void> | undefined {
    const now = this.#clock.now();
    if (!touchDue(cookie, session.state, now)) return undefined;
    session.state.lastActivity = now;
    return this.save(cookie, session);
  }

  /** Ends one session (a sign-out); signed-in ones are announced to `onEnded` listeners with `reason`. */
  async destroy(session: Session, reason: SessionEndReason = 'logout'): Promise<void> {
    await this.#store.delete(session.idHash);
    await this.#ended([{ idHash: session.idHash, username: session.state.username, sid: session.state.sid }], reason);
  }

  /** Ends every session of `username` (but those `keep` accepts); returns how many ended. */
  async destroyUser(username: string, reason: SessionEndReason = 'logout-everywhere', keep?: (state: SessionState) => boolean): Promise<number> {
    if (keep !== undefined) {
      const ended: { idHash: string; username: string; sid: string | undefined }[] = [];
      for (const { idHash, state } of await this.#store.listUser(username)) {
        if (keep(state)) continue;
        await this.#store.delete(idHash);
        ended.push({ idHash, username: state.username, sid: state.sid });
      }
      await this.#ended(ended, reason);
      return ended.length;
    }
    const deleted = await this.#store.deleteUser(username);
    await this.#ended(deleted, reason);
    return deleted.length;
  }

  /** Ends the session stored under `idHash` (an administrator's revocation); false when there is none. */
  async destroyByHash(idHash: string, reason: SessionEndReason = 'revoked'): Promise<boolean> {
    const state = await this.#store.get(idHash);
    if (!state) return false;
    await this.#store.delete(idHash);
    await this.#ended([{ idHash, username: state.username, sid: state.sid }], reason);
    return true;
  }

  /** A user's live sessions: stored hash, state and end (for `gatehouse sessions list`). */
  listUser(username: string): ReturnType<SessionStore['listUser']> {
    return this.#store.listUser(username);
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

  /** Deletes expired sessions now (announcing signed-in ones as expired); returns how many. */
  async purge(): Promise<number> {
    const purged = await this.#store.purgeExpired(this.#clock.now());
    await this.#ended(purged, 'expired');
    return purged.length;
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

/** Whether a check should record activity: the stored time is stale by the write granularity (inactivity/10, at most 1 min). */
function touchDue(cookie: SessionCookieConfig, state: Readonly<SessionState>, now: number): boolean {
  return now - state.lastActivity >= Math.min(cookie.inactivity / 10, 60_000);
}
