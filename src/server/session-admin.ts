import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { EmptyUserBackend } from '../auth/users/empty-backend.js';
import type { Config } from '../config/config.js';
import type { OidcDeps } from '../oidc/deps.js';
import { sessionLogout } from '../oidc/logout/session-logout.js';
import { observeEndedSessions } from '../session/audit.js';
import { verifyPassword } from '../auth/password/verify.js';
import { SessionManager } from '../session/manager.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { Observer } from '../shared/observe.js';
import { type Random, systemRandom } from '../shared/random.js';
import { openStorage } from '../storage/open.js';
import { gatewayObserver } from './observer.js';
import { oidcDeps } from './oidc-deps.js';
import { type OpenedSessionStore, openSessionStore } from './session-store.js';

/**
 * What happens when a signed-in session ends, however it ends, the same in the gateway and in
 * `gatehouse sessions revoke`:
 * 1. one `session_ended` event per session (session/audit.ts): the audit line and, in the gateway, its counter;
 * 2. with an OpenID Connect provider, single logout: the session's grants are revoked and a
 *    back-channel logout is queued for each of their clients (oidc/logout/session-logout.ts);
 *    `kick` wakes the sender of this process, if it has one.
 * `observer` defaults to the audit log on `logger` (no metrics).
 * A listener that fails is logged; the session ends regardless.
 */
export function watchEndedSessions(
  sessions: SessionManager,
  options: { logger: Logger; oidc: OidcDeps | undefined; kick?: () => void; observer?: Pick<Observer, 'event'> },
): void {
  const { logger, oidc } = options;
  sessions.onEnded(observeEndedSessions(options.observer ?? gatewayObserver(logger, undefined)));
  if (oidc) sessions.onEnded(sessionLogout(oidc, options.kick));
  sessions.listenerErrors = (error) => logger.error({ err: error }, 'single logout failed for an ended session');
}

/** Sessions opened from outside the gateway (see {@link openSessionAdmin}). */
export interface SessionAdmin {
  readonly sessions: SessionManager;
  /** Closes the storage. */
  close(): Promise<void>;
}

/**
 * Opens the configured storage and builds a session manager wired as the gateway's is
 * ({@link watchEndedSessions}), for ending sessions from another process (`gatehouse sessions`):
 * each ended session is audited, its OpenID Connect grants are revoked and its back-channel
 * logouts queued in the database, where a running gateway delivers them. A running gateway
 * stops honouring the session within its session cache's lifetime on SQLite, and as soon as
 * the change message arrives on Redis (session/cached-store.ts).
 * With an OpenID Connect provider and no signing key stored yet, one is generated, as the
 * gateway's first start would.
 * @throws StartupError naming the storage or session.redis setting to fix.
 */
export async function openSessionAdmin(config: Config, options: { logger: Logger; appVersion: string; clock?: Clock; random?: Random }): Promise<SessionAdmin> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const { logger } = options;
  const storage = await openStorage(config.storage, { clock, appVersion: options.appVersion });
  let sessionStore: OpenedSessionStore | undefined;
  try {
    // Redis with session.redis: its writes reach running gateways' caches at once (server/session-store.ts).
    sessionStore = await openSessionStore(config, { storage, clock, random, logger, cache: false });
    const sessions = new SessionManager({ store: sessionStore.store, cookies: config.session.cookies, clock, random });
    // The provider's start-up line is the gateway's to say; single logout logs through `logger` itself.
    const quiet = logger.child({}, { level: 'warn' }) as FastifyBaseLogger;
    const observer = gatewayObserver(logger, undefined);
    const built = await oidcDeps({ config, verifyPassword, storage, sessions, users: new EmptyUserBackend(), clock, random, logger: quiet, observer });
    const oidc = built && { ...built, logger: logger as FastifyBaseLogger };
    watchEndedSessions(sessions, { logger, oidc, observer });
    const store = sessionStore;
    return { sessions, close: () => store.close().finally(() => storage.close()) };
  } catch (error) {
    await sessionStore?.close();
    await storage.close();
    throw error;
  }
}
