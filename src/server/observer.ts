import type { Observer } from '../shared/observe.js';
import { type AuditSink, auditLog } from './audit-log.js';
import type { Metrics } from './metrics.js';

/**
 * The gateway's observer (shared/observe.ts): every event goes to the audit log and, with
 * `telemetry.metrics` enabled, to the metrics; authorisation decisions and requests go to the
 * metrics only, and cost a no-op call without them.
 */
export function gatewayObserver(audit: AuditSink, metrics: Metrics | undefined): Observer {
  const write = auditLog(audit);
  if (!metrics) return { timed: false, event: write, authz() {}, request() {} };
  return {
    timed: true,
    event(event) {
      write(event);
      metrics.event(event);
    },
    authz: metrics.authz,
    request: metrics.request,
  };
}
