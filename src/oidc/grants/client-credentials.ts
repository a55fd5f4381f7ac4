/**
 * The `client_credentials` grant (RFC 6749 §4.4): a client acting for itself.
 * - confidential clients only (§4.4.2: the client MUST authenticate); a public client is
 *   `unauthorized_client` (configuration already refuses the grant for one);
 * - `scope` (§3.3): each must be one of the client's `scopes` (`invalid_scope`); `openid`,
 *   `offline_access` and `offline` are never granted here — there is no user to identify and no
 *   refresh token (§4.4.3) — so asking for them is `invalid_scope`; no `scope` grants the
 *   client's scopes but those;
 * - audience: the client's `audience`; an `audience` parameter (space-separated, as Authelia's)
 *   may only name some of those, exactly (`invalid_request` otherwise), and then is the audience;
 * - records a grant (`username: ''`, subject the client id) and issues one access token through
 *   access-token.ts (opaque or JWT as the client registered), lifetime
 *   `lifespans.custom.<name>.grants.client_credentials` or the client's or global access-token
 *   lifespan; no refresh token and no ID token.
 */
import type { OidcClientConfig } from '../../config/oidc.js';
import { offlineScopes } from '../../config/oidc-client.js';
import type { StoredGrant, StoredToken } from '../../storage/oidc-repositories.js';
import { issueAccessToken } from '../access-token.js';
import type { OidcDeps } from '../deps.js';
import { InvalidRequest, InvalidScope, UnauthorizedClient } from '../errors.js';
import { lifespanOf } from '../lifespans.js';
import { newUuid } from '../tokens.js';
import type { TokenResponse } from './authorization-code.js';

/** Scopes that need a user or a refresh token: never granted to a client acting for itself. */
const userScopes: readonly string[] = ['openid', ...offlineScopes];

export interface ClientCredentialsInput {
  readonly scope: string | undefined;
  readonly audience: string | undefined;
  readonly issuer: string;
}

export async function clientCredentialsGrant(deps: OidcDeps, client: OidcClientConfig, input: ClientCredentialsInput): Promise<TokenResponse> {
  if (client.public) throw new UnauthorizedClient('A public client cannot use the client_credentials grant.');
  const scopes = grantedScopes(client, input.scope);
  const audience = grantedAudience(client, input.audience);
  const now = deps.clock.now();
  const lifetime = lifespanOf(deps.config, client, 'client_credentials', 'accessToken');
  const grant: StoredGrant = {
    grantId: newUuid(deps.random),
    clientId: client.id,
    username: '',
    subject: client.id,
    scopes,
    data: { issuer: input.issuer, authTime: 0, amr: [], audience },
    createdAt: now,
    // Nothing is refreshed from this grant: it lives as long as its one access token.
    expiresAt: now + lifetime,
    revokedAt: undefined,
  };
  const pending: StoredToken[] = [];
  const access = await issueAccessToken(deps, { client, grant, scopes, lifetime, now, pending });
  await deps.repository.saveIssued({
    grant,
    tokens: pending,
    audit: { time: now, event: 'access_token', clientId: client.id, username: '', grantId: grant.grantId, detail: 'client_credentials' },
  });
  deps.observer.event({ event: 'token_issued', grant: 'client_credentials', username: '', clientId: client.id });
  return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: scopes.join(' ') };
}

function grantedScopes(client: OidcClientConfig, scope: string | undefined): string[] {
  const requested = scope === undefined ? undefined : [...new Set(scope.split(' ').filter((s) => s !== ''))];
  if (requested === undefined || requested.length === 0) return client.scopes.filter((s) => !userScopes.includes(s));
  const forUsers = requested.filter((s) => userScopes.includes(s));
  if (forUsers.length > 0) throw new InvalidScope(`The scope '${forUsers.join(' ')}' is not available with client_credentials: there is no user.`);
  const refused = requested.filter((s) => !client.scopes.includes(s));
  if (refused.length > 0) throw new InvalidScope(`The scope '${refused.join(' ')}' is not allowed for this client.`);
  return requested;
}

function grantedAudience(client: OidcClientConfig, audience: string | undefined): string[] {
  const requested = audience === undefined ? [] : [...new Set(audience.split(' ').filter((a) => a !== ''))];
  if (requested.length === 0) return [...client.audience];
  const refused = requested.filter((a) => !client.audience.includes(a));
  if (refused.length > 0) throw new InvalidRequest(`The audience '${refused.join(' ')}' is not registered for this client.`);
  return requested;
}
