import type { EndedSession } from './session.js';

/** What the audit writes to (a pino logger fits). */
export interface AuditLogger {
  info(fields: object, message: string): void;
}

/** How many hex digits of the stored session hash the audit line shows (what `gatehouse sessions list` shows in full). */
export const auditHashDigits = 12;

/** The audit line's message, the same for every reason (search the log for it). */
export const sessionEndedMessage = 'session ended';

/**
 * An `onEnded` listener (SessionManager) that writes one structured line per ended signed-in
 * session, whatever ended it — `logout`, `logout-everywhere`, `rp-logout`, `revoked`,
 * `expired`, `user-changed`, `invalid`:
 * `{"audit":"session_ended","username":"john","reason":"revoked","session":"3f9a0c1d2e4b"}`.
 * `session` is the start of the stored hash of the session ID (as `gatehouse sessions list`
 * prints it); the session ID, the OpenID Connect `sid` and tokens are never logged.
 */
export function auditEndedSessions(logger: AuditLogger): (ended: readonly EndedSession[]) => void {
  return (ended) => {
    for (const session of ended) {
      logger.info(
        { audit: 'session_ended', username: session.username, reason: session.reason, session: session.idHash.slice(0, auditHashDigits) },
        sessionEndedMessage,
      );
    }
  };
}
