import type { ObservedEvent } from '../shared/observe.js';

/** What the audit log writes to (a pino logger fits). */
export interface AuditSink {
  info(fields: object, message: string): void;
}

/**
 * The audit log: one `info` line per notable event, for `log.format: json` collectors —
 * `{"audit":"authn","method":"1fa","outcome":"failure","username":"john","ip":"192.0.2.7",…,"msg":"authentication failure"}`.
 * `audit` names the event; the other fields are the event's own (`username`, `clientId`, `ip`,
 * `outcome`, `reason`, …), which never hold a secret (shared/observe.ts). Store errors are
 * counted, not audited: their outages are logged once each (server/health.ts).
 * The narrative lines beside them (`first factor failed`, …) stay as they were.
 */
export function auditLog(sink: AuditSink): (event: ObservedEvent) => void {
  return (observed) => {
    if (observed.event === 'store_error') return;
    const { event, ...fields } = observed;
    sink.info({ audit: event, ...fields }, messageOf(observed));
  };
}

/** The line's message: the event in a few words (search the log for `"audit"` rather than for these). */
function messageOf(e: Exclude<ObservedEvent, { event: 'store_error' }>): string {
  switch (e.event) {
    case 'authn':
      return `authentication ${e.outcome}`;
    case 'ban':
      return `${e.scope === 'ip' ? 'IP address' : 'user'} banned by regulation`;
    case 'consent':
      return `consent ${e.action}`;
    case 'token_issued':
      return `tokens issued (${e.grant})`;
    case 'token_revoked':
      return `tokens revoked (${e.reason})`;
    case 'logout':
      return `signed out (${e.kind})`;
    case 'session_ended':
      return 'session ended';
    case 'backchannel_logout':
      return `back-channel logout ${e.outcome.replace('_', ' ')}`;
    case 'frontchannel_logout':
      return 'front-channel logout page served';
    case 'password':
      return `password ${e.action} ${e.outcome}`;
    case 'second_factor':
      return `second factor ${e.action} (${e.method})`;
    case 'elevation':
      return `session elevation ${e.action}`;
  }
}
