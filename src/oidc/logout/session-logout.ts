import { offlineScopes } from '../../config/oidc-client.js';
import type { EndedSession } from '../../session/session.js';
import type { OidcDeps } from '../deps.js';
import { newUuid } from '../tokens.js';

/** How long a back-channel logout is retried before it is given up (logged). */
export const backchannelDeliveryLifetime = 60 * 60_000;

/**
 * What ending a browser session does to the OpenID Connect side (single logout):
 * - every grant given in that session (`sid`) is revoked with all its tokens — except a grant
 *   with `offline_access` when `identity_providers.oidc.logout.revoke_offline_access` is false;
 * - every client of those grants with a `backchannel_logout_uri` gets a back-channel logout
 *   queued (durably: oidc_logout_deliveries), which `BackchannelSender` delivers;
 * - one log line per ended session, without token values.
 * `kick` wakes the sender when something was queued.
 */
export function sessionLogout(deps: OidcDeps, kick: () => void = () => undefined): (ended: readonly EndedSession[]) => Promise<void> {
  return async (ended) => {
    let queued = 0;
    for (const session of ended) {
      if (!session.sid) continue;
      const now = deps.clock.now();
      const grants = await deps.repository.grantsOfSession(session.sid, now);
      const revoked: string[] = [];
      const kept: string[] = [];
      const told = new Set<string>();
      for (const grant of grants) {
        const offline = grant.scopes.some((s) => offlineScopes.includes(s));
        if (!offline || deps.config.logout.revokeOfflineAccess) {
          await deps.repository.revokeGrant(grant.grantId, now);
          revoked.push(grant.clientId);
        } else kept.push(grant.clientId);
        const client = deps.clients.get(grant.clientId);
        if (client?.backchannelLogoutUri === undefined || told.has(client.id)) continue;
        told.add(client.id);
        await deps.repository.enqueueLogout({
          clientId: client.id,
          uri: client.backchannelLogoutUri,
          issuer: grant.data.issuer,
          subject: grant.subject,
          sid: session.sid,
          jti: newUuid(deps.random),
          reason: session.reason,
          nextAttemptAt: now,
          expiresAt: now + backchannelDeliveryLifetime,
          createdAt: now,
        });
        queued++;
      }
      deps.logger.info(
        { username: session.username, reason: session.reason, revoked, kept, backchannel: [...told] },
        'session ended: grants of the session revoked, clients told',
      );
      for (const clientId of new Set(revoked)) {
        deps.observer.event({
          event: 'token_revoked',
          reason: 'session_ended',
          username: session.username,
          clientId,
          count: revoked.filter((c) => c === clientId).length,
        });
      }
    }
    if (queued > 0) kick();
  };
}
