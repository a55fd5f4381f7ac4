import type { OidcClientConfig } from '../config/oidc.js';
import type { StoredGrant } from '../storage/oidc-repositories.js';
import type { OidcDeps } from './deps.js';
import { newOpaqueToken } from './tokens.js';

/** An access token as handed to a client, with what the token response says of it. */
export interface IssuedAccessToken {
  readonly token: string;
  /** Seconds (RFC 6749 §5.1 `expires_in`). */
  readonly expiresIn: number;
}

export interface AccessTokenInput {
  readonly client: OidcClientConfig;
  readonly grant: StoredGrant;
  /** What this token may do: the grant's scopes, or fewer (a narrowed refresh). */
  readonly scopes: readonly string[];
  readonly lifetime: number;
  readonly now: number;
}

/**
 * Issues an access token for a grant and stores it (only its HMAC): an opaque 256-bit token.
 * Every grant (authorization code, refresh token, client credentials) issues through here, so the
 * token's format, audience and revocation work the same whatever the grant.
 */
export async function issueAccessToken(deps: OidcDeps, input: AccessTokenInput): Promise<IssuedAccessToken> {
  const { client, grant, now } = input;
  const token = newOpaqueToken(deps.random);
  await deps.repository.saveToken({
    tokenHash: deps.hasher.hash('access', token),
    kind: 'access',
    grantId: grant.grantId,
    clientId: client.id,
    username: grant.username,
    subject: grant.subject,
    scopes: input.scopes,
    issuedAt: now,
    expiresAt: now + input.lifetime,
    revokedAt: undefined,
    format: 'opaque',
    audience: grant.data.audience,
  });
  return { token, expiresIn: Math.floor(input.lifetime / 1000) };
}
