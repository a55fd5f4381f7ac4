import { offlineScopes } from '../config/oidc-client.js';
import type { OidcClientConfig } from '../config/oidc.js';
import { offlineScopesRequested } from './authorization/checks-offline.js';
import { endpoints, pendingLifetime, type OidcDeps } from './deps.js';

/** What the consent page shows. */
export interface ConsentRequest {
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  /** Whether the user may tick "remember" (the client's consent mode is `pre-configured`). */
  readonly rememberable: boolean;
  /** Where the decision finally sends the browser (for the page's `form-action`). */
  readonly redirectOrigin: string;
}

/** The consent page's view of pending authorization requests. */
export interface ConsentPort {
  describe(flowId: string): Promise<ConsentRequest | undefined>;
  /**
   * Records the user's answer on the pending request (and, when asked and allowed, remembers a
   * grant for `pre_configured_consent_duration`). Returns the URL that resumes the request.
   */
  decide(flowId: string, username: string, granted: boolean, remember: boolean, issuer: string): Promise<string | undefined>;
}

export function consentPort(deps: OidcDeps): ConsentPort {
  const load = async (flowId: string) => {
    const pending = await deps.repository.findPending(deps.hasher.hash('flow', flowId), deps.clock.now());
    const client = pending && deps.clients.get(pending.clientId);
    return pending && client ? { pending, client } : undefined;
  };
  // The scopes the authorization endpoint grants once the user accepts (checkScope, then
  // checkOfflineAccess): what the page shows and what a remembered consent covers.
  const scopesOf = (client: OidcClientConfig, parameters: Readonly<Record<string, string>>) => [
    ...new Set([
      ...(parameters.scope ?? '').split(' ').filter((s) => s !== '' && !offlineScopes.includes(s)),
      ...offlineScopesRequested(client, parameters.scope),
    ]),
  ];
  return {
    async describe(flowId) {
      const found = await load(flowId);
      if (!found) return undefined;
      const { pending, client } = found;
      return {
        clientId: client.id,
        clientName: client.name,
        scopes: scopesOf(client, pending.parameters),
        rememberable: client.consentMode === 'pre-configured',
        redirectOrigin: new URL(pending.parameters.redirect_uri ?? client.redirectUris[0]!).origin,
      };
    },
    async decide(flowId, username, granted, remember, issuer) {
      const found = await load(flowId);
      if (!found) return undefined;
      const { pending, client } = found;
      const now = deps.clock.now();
      await deps.repository.savePending({ ...pending, consent: { username, granted }, expiresAt: now + pendingLifetime });
      if (granted && remember && client.consentMode === 'pre-configured') {
        await deps.repository.saveConsent(username, client.id, scopesOf(client, pending.parameters), now, now + client.preConfiguredConsentDuration);
      }
      await deps.repository.audit({
        time: now,
        event: granted ? 'consent_granted' : 'consent_denied',
        clientId: client.id,
        username,
        grantId: '',
        detail: remember ? 'remembered' : '',
      });
      deps.observer.event({ event: 'consent', action: granted ? 'granted' : 'denied', username, clientId: client.id });
      return `${issuer}${endpoints.authorization}?flow_id=${flowId}`;
    },
  };
}
