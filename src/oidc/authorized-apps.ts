import { offlineScopes } from '../config/oidc-client.js';
import type { OidcDeps } from './deps.js';

/** One application a user gave access to their account, as the portal lists it. */
export interface AuthorizedApp {
  readonly clientId: string;
  /** `client_name`; the id when the client is no longer configured. */
  readonly clientName: string;
  /** Every scope granted or remembered (sorted). */
  readonly scopes: readonly string[];
  /** When the user last authorised it (ms). */
  readonly authorizedAt: number;
  /** Whether it may refresh its tokens while the user is away (`offline_access` granted). */
  readonly offline: boolean;
  /** Until when a remembered consent lets it in without asking (ms); undefined when there is none. */
  readonly rememberedUntil: number | undefined;
}

/** The portal's view of the apps a user authorised (`/consents`, `/api/oidc/consents`). */
export interface AuthorizedAppsPort {
  /** The user's apps with a live grant or a remembered consent, one per client, latest authorised first. */
  list(username: string): Promise<AuthorizedApp[]>;
  /**
   * Revokes every grant of the client for the user (with every access and refresh token: its
   * refresh tokens are refused from then on) and forgets the remembered consents, so the app asks
   * again. Returns how many grants and consents there were.
   */
  revoke(username: string, clientId: string): Promise<{ grants: number; consents: number }>;
}

export function authorizedAppsPort(deps: OidcDeps): AuthorizedAppsPort {
  return {
    async list(username) {
      const now = deps.clock.now();
      const apps = new Map<string, { scopes: Set<string>; authorizedAt: number; rememberedUntil: number | undefined }>();
      const entry = (clientId: string) => {
        const found = apps.get(clientId);
        if (found) return found;
        const app = { scopes: new Set<string>(), authorizedAt: 0, rememberedUntil: undefined as number | undefined };
        apps.set(clientId, app);
        return app;
      };
      for (const grant of await deps.repository.grantsOf(username, now)) {
        if (grant.clientId === '') continue;
        const app = entry(grant.clientId);
        for (const s of grant.scopes) app.scopes.add(s);
        app.authorizedAt = Math.max(app.authorizedAt, grant.createdAt);
      }
      for (const consent of await deps.repository.consentsOf(username, now)) {
        const app = entry(consent.clientId);
        for (const s of consent.scopes) app.scopes.add(s);
        app.authorizedAt = Math.max(app.authorizedAt, consent.grantedAt);
        app.rememberedUntil = Math.max(app.rememberedUntil ?? 0, consent.expiresAt);
      }
      return [...apps]
        .map(([clientId, app]) => ({
          clientId,
          clientName: deps.clients.get(clientId)?.name || clientId,
          scopes: [...app.scopes].sort(),
          authorizedAt: app.authorizedAt,
          offline: [...app.scopes].some((s) => offlineScopes.includes(s)),
          rememberedUntil: app.rememberedUntil,
        }))
        .sort((a, b) => b.authorizedAt - a.authorizedAt || a.clientId.localeCompare(b.clientId));
    },

    async revoke(username, clientId) {
      const now = deps.clock.now();
      const grants = await deps.repository.revokeGrantsOf(username, clientId, now);
      const consents = await deps.repository.deleteConsents(username, clientId);
      await deps.repository.audit({
        time: now,
        event: 'consent_revoked',
        clientId,
        username,
        grantId: '',
        detail: `${grants} grant(s), ${consents} consent(s)`,
      });
      deps.logger.info({ username, clientId, grants, consents }, 'the user revoked the access of an application');
      deps.observer.event({ event: 'consent', action: 'revoked', username, clientId });
      if (grants > 0) deps.observer.event({ event: 'token_revoked', reason: 'app_revoked', username, clientId, count: grants });
      return { grants, consents };
    },
  };
}
