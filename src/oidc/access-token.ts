import { SignJWT } from 'jose';
import type { OidcClientConfig, OidcSigningAlgorithm } from '../config/oidc.js';
import type { StoredGrant, StoredToken } from '../storage/oidc-repositories.js';
import { claimsFor } from './claims.js';
import type { OidcDeps } from './deps.js';
import { newOpaqueToken, newUuid } from './tokens.js';

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
  /**
   * Where to put the token's record instead of storing it now: the caller stores everything its
   * token request issued in one write (`repository.saveIssued`).
   */
  readonly pending?: StoredToken[] | undefined;
}

/**
 * Issues an access token for a grant and stores it (only an HMAC). Every grant (authorization
 * code, refresh token, client credentials) issues through here, so the token's format, audience
 * and revocation work the same whatever the grant:
 * - opaque (256 random bits), stored by the HMAC of the token — the default
 *   (`access_token_signed_response_alg: none`);
 * - an RFC 9068 JWT when the client names an algorithm: header `typ: at+jwt` and the signing
 *   key's `kid`; claims `iss`, `sub` (the user's subject, or the client id for client
 *   credentials), `aud` (the granted audience, the client id when there is none), `exp`, `iat`,
 *   `jti`, `client_id`, `scope`, and for a user `auth_time`, `amr` and the claims the client's
 *   `claims_policy` lists under `access_token` (those its scopes release). Stored by the HMAC of
 *   its `jti`, so that revoking it works like for an opaque token (oidc/token-check.ts).
 */
export async function issueAccessToken(deps: OidcDeps, input: AccessTokenInput): Promise<IssuedAccessToken> {
  const { client, grant, now } = input;
  const audience = grant.data.audience;
  const stored = {
    kind: 'access' as const,
    grantId: grant.grantId,
    clientId: client.id,
    username: grant.username,
    subject: grant.subject,
    scopes: input.scopes,
    issuedAt: now,
    expiresAt: now + input.lifetime,
    revokedAt: undefined,
    audience,
  };
  const expiresIn = Math.floor(input.lifetime / 1000);
  const algorithm = client.accessTokenSignedResponseAlg;
  if (algorithm === 'none') {
    const token = newOpaqueToken(deps.random);
    await keep(deps, input.pending, { ...stored, tokenHash: deps.hasher.hash('access', token), format: 'opaque' });
    return { token, expiresIn };
  }
  const jti = newUuid(deps.random);
  const token = await signAccessToken(deps, input, algorithm, jti);
  await keep(deps, input.pending, { ...stored, tokenHash: deps.hasher.hash('access', jti), format: 'jwt' });
  return { token, expiresIn };
}

async function signAccessToken(deps: OidcDeps, input: AccessTokenInput, algorithm: OidcSigningAlgorithm, jti: string): Promise<string> {
  const { client, grant, now } = input;
  const key = deps.keys.signer(algorithm, client.signingKeyIds.accessToken);
  const seconds = Math.floor(now / 1000);
  const audience = grant.data.audience.length > 0 ? grant.data.audience : [client.id];
  const claims: Record<string, unknown> = { client_id: client.id, scope: input.scopes.join(' ') };
  if (grant.username !== '') {
    Object.assign(claims, await policyClaims(deps, client, grant.username, input.scopes));
    claims.auth_time = Math.floor(grant.data.authTime / 1000);
    claims.amr = [...grant.data.amr];
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(grant.data.issuer)
    .setSubject(grant.subject)
    .setAudience(audience.length === 1 ? audience[0]! : [...audience])
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + Math.floor(input.lifetime / 1000))
    .setJti(jti)
    .sign(key.privateKey);
}

/** The claims of the client's `claims_policy` `access_token` list that its scopes release. */
async function policyClaims(deps: OidcDeps, client: OidcClientConfig, username: string, scopes: readonly string[]): Promise<Record<string, unknown>> {
  const wanted = client.claimsPolicy === undefined ? [] : (deps.config.claimsPolicies.get(client.claimsPolicy)?.accessToken ?? []);
  if (wanted.length === 0) return {};
  const user = await deps.users.get(username);
  if (!user) return {};
  const released = claimsFor(user, scopes);
  return Object.fromEntries(wanted.filter((claim) => released[claim] !== undefined).map((claim) => [claim, released[claim]]));
}

/** Adds the record to the caller's pending writes, or stores it now when there are none. */
async function keep(deps: OidcDeps, pending: StoredToken[] | undefined, token: StoredToken): Promise<void> {
  if (pending) pending.push(token);
  else await deps.repository.saveToken(token);
}
