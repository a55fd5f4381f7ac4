import type { EndReason, Observer } from '../shared/observe.js';
import type { EndedSession, SessionEndReason } from './session.js';

/** How many hex digits of the stored session hash the audit line shows (what `gatehouse sessions list` shows in full). */
export const auditHashDigits = 12;

/** The shared event's reasons are exactly the session's (the compiler checks both ways). */
const sameReasons: [SessionEndReason, EndReason] extends [EndReason, SessionEndReason] ? true : never = true;
void sameReasons;

/**
 * An `onEnded` listener (SessionManager) that reports one `session_ended` event per ended
 * signed-in session, whatever ended it — `logout`, `logout-everywhere`, `rp-logout`, `revoked`,
 * `expired`, `user-changed`, `invalid`. The audit log writes it as
 * `{"audit":"session_ended","username":"john","reason":"revoked","session":"3f9a0c1d2e4b"}`
 * (server/audit-log.ts). `session` is the start of the stored hash of the session ID (as
 * `gatehouse sessions list` prints it); the session ID, the OpenID Connect `sid` and tokens are never reported.
 */
export function observeEndedSessions(observer: Pick<Observer, 'event'>): (ended: readonly EndedSession[]) => void {
  return (ended) => {
    for (const s of ended) {
      observer.event({ event: 'session_ended', username: s.username, reason: s.reason, session: s.idHash.slice(0, auditHashDigits) });
    }
  };
}
