import type { UserDirectory } from '../auth/users/user-directory.js';
import type { OidcRepository } from '../storage/oidc-repositories.js';
import type { Clock } from '../shared/clock.js';
import type { Observer } from '../shared/observe.js';

/** What the revocation logs (a pino logger fits). */
export interface GrantSyncLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Keeps OpenID Connect grants in step with the users file: when a reload disables or removes a
 * user, every grant of theirs is revoked with all its access and refresh tokens (apps holding a
 * refresh token are refused from then on, as the user's sessions end: auth/users/session-refresh.ts),
 * and a removed user's remembered consents are forgotten (a new user of the same name must
 * consent again). A changed password leaves grants alone. auth/ knows nothing of oidc/: the two
 * meet here. Returns the unsubscribe function.
 */
export function revokeGrantsOfEndedUsers(s: {
  users: UserDirectory;
  repository: OidcRepository;
  clock: Clock;
  logger: GrantSyncLogger;
  observer?: Pick<Observer, 'event'>;
}): () => void {
  const revoke = async (username: string, reason: 'removed' | 'disabled') => {
    try {
      const now = s.clock.now();
      const grants = await s.repository.revokeGrantsOf(username, undefined, now);
      const consents = reason === 'removed' ? await s.repository.deleteConsents(username, undefined) : 0;
      if (grants === 0 && consents === 0) return;
      await s.repository.audit({ time: now, event: 'grant_revoked', clientId: '', username, grantId: '', detail: `user ${reason} in the users file` });
      s.logger.info({ username, reason, grants, consents }, `users file reloaded: the OpenID Connect grants of the ${reason} user are revoked`);
      s.observer?.event({ event: 'token_revoked', reason: 'user_removed', username, clientId: '', count: grants });
    } catch (error) {
      s.logger.error({ username, reason, err: error }, 'users file reloaded: could not revoke the OpenID Connect grants of the user');
    }
  };
  return s.users.onReload((outcome) => {
    if (!outcome.ok) return;
    for (const username of outcome.changes.removed) void revoke(username, 'removed');
    for (const username of outcome.changes.disabled) void revoke(username, 'disabled');
  });
}
