import { offlineScopes } from '../../config/oidc-client.js';
import type { LifespanGrant, OidcClientConfig } from '../../config/oidc.js';
import type { StoredGrant, StoredToken } from '../../storage/oidc-repositories.js';
import type { OidcDeps } from '../deps.js';
import { lifespanOf } from '../lifespans.js';
import { newOpaqueToken } from '../tokens.js';

/**
 * Whether a grant of `scopes` to `client` comes with a refresh token: the client lists the
 * `refresh_token` grant and the user granted `offline_access` (or `offline`), which the
 * authorization endpoint keeps only with the user's consent (authorization/checks-offline.ts).
 */
export function offersRefreshToken(client: OidcClientConfig, scopes: readonly string[]): boolean {
  return client.grantTypes.includes('refresh_token') && scopes.some((s) => offlineScopes.includes(s));
}

/** A refresh token as handed to the client, and the HMAC it is stored under. */
export interface IssuedRefreshToken {
  readonly token: string;
  readonly tokenHash: string;
}

/**
 * Issues a refresh token for `grant` and stores it (only its HMAC): 256 random bits, carrying the
 * grant's scopes, living `lifespans…refresh_token` for the client and `via` grant type, and never
 * past the grant's absolute lifetime.
 */
export async function issueRefreshToken(
  deps: OidcDeps,
  input: { client: OidcClientConfig; grant: StoredGrant; via: LifespanGrant; now: number; pending?: StoredToken[] | undefined },
): Promise<IssuedRefreshToken> {
  const { client, grant, now } = input;
  const token = newOpaqueToken(deps.random);
  const tokenHash = deps.hasher.hash('refresh', token);
  const record: StoredToken = {
    tokenHash,
    kind: 'refresh',
    grantId: grant.grantId,
    clientId: client.id,
    username: grant.username,
    subject: grant.subject,
    scopes: grant.scopes,
    issuedAt: now,
    expiresAt: Math.min(now + lifespanOf(deps.config, client, input.via, 'refreshToken'), grant.expiresAt),
    revokedAt: undefined,
    format: 'opaque',
    audience: grant.data.audience,
  };
  // With `pending`, the caller stores it with the rest of its token request (repository.saveIssued).
  if (input.pending) input.pending.push(record);
  else await deps.repository.saveToken(record);
  return { token, tokenHash };
}
