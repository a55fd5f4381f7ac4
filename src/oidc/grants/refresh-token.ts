/**
 * The `refresh_token` grant (RFC 6749 §6; OIDC Core §12; RFC 9700 §4.14):
 * - the token must be a refresh token Gatehouse issued (looked up by its HMAC), then pass the
 *   checks of refresh-token-checks.ts — bound to the authenticated client, not revoked or expired,
 *   its grant neither revoked (consent revoked, user disabled or removed, replay) nor past its
 *   absolute lifetime, the same issuer, the user still enabled, a `scope` that only narrows —
 *   all before the token is used, so a refused request changes nothing;
 * - rotation on every use: the token is marked used (atomically) and a new refresh token is
 *   issued in its place (its successor);
 * - reuse: a used token presented again less than `lifespans.refresh_token_reuse_grace` after
 *   its first use (concurrent refreshes, a lost answer, several replicas of an app) gets another
 *   access and refresh token of the same grant — only HMACs are stored, so the successor itself
 *   cannot be handed out again; both stay valid. Later it is a replay: the whole grant is revoked
 *   (every access and refresh token issued from that authorization), audited and logged, and the
 *   answer is `invalid_grant`;
 * - issues an access token with the requested scopes, an ID token when they include `openid`
 *   (the original `iss`, `sub`, `aud`, `auth_time`, `amr` and `azp`, a new `iat`, and no `nonce`:
 *   §12.2, a refresh is no authentication request), and the new refresh token, each with the
 *   client's lifespans for the `refresh_token` grant and never past the grant's lifetime.
 */
import type { User } from '../../auth/users/user.js';
import type { OidcClientConfig } from '../../config/oidc.js';
import type { StoredGrant, StoredToken } from '../../storage/oidc-repositories.js';
import { issueAccessToken } from '../access-token.js';
import { idTokenClaims } from '../claims.js';
import type { OidcDeps } from '../deps.js';
import { InvalidGrant, InvalidRequest } from '../errors.js';
import { signIdToken } from '../id-token.js';
import { lifespanOf } from '../lifespans.js';
import { newUuid } from '../tokens.js';
import type { TokenResponse } from './authorization-code.js';
import { issueRefreshToken } from './issue-refresh-token.js';
import { type RefreshContext, refreshChecks } from './refresh-token-checks.js';

export async function exchangeRefreshToken(
  deps: OidcDeps,
  client: OidcClientConfig,
  input: { refreshToken: string | undefined; scope: string | undefined },
  context: { issuer: string },
): Promise<TokenResponse> {
  if (!input.refreshToken) throw new InvalidRequest('refresh_token is required.');
  const now = deps.clock.now();
  const tokenHash = deps.hasher.hash('refresh', input.refreshToken);
  const found = await deps.repository.findTokenWithGrant(tokenHash);
  const token = found?.token;
  const grant = token?.kind === 'refresh' ? found?.grant : undefined;
  if (!token || !grant) throw new InvalidGrant('The refresh token is invalid.');
  const ctx: RefreshContext = { deps, client, issuer: context.issuer, now, token, grant, requestedScope: input.scope, scopes: [], user: undefined };
  for (const check of refreshChecks) await check(ctx);
  // The new tokens are made first (nothing stored yet): using up the old one, recording its
  // successor and storing what replaces it is then one write (a replay stores nothing).
  const pending: StoredToken[] = [];
  const response = await issue(deps, client, grant, ctx.user!, ctx.scopes, now, pending);
  const used = await deps.repository.redeemRefreshToken({
    tokenHash,
    now,
    successorHash: response.refreshTokenHash,
    reuseGrace: deps.config.lifespans.refreshTokenReuseGrace,
    tokens: pending,
    audit: (firstUse, rotatedAt) => ({
      time: now,
      event: 'refresh_token',
      clientId: client.id,
      username: grant.username,
      grantId: grant.grantId,
      detail: firstUse ? 'rotated' : `used again ${now - rotatedAt} ms after its rotation, within the reuse grace: another pair issued`,
    }),
  });
  if (!used) throw new InvalidGrant('The refresh token is invalid.');
  if (used.outcome === 'replayed') return refuseReuse(deps, token, used.rotatedAt, now);
  deps.observer.event({ event: 'token_issued', grant: 'refresh_token', username: grant.username, clientId: client.id });
  return response.body;
}

/** The new access token, ID token (for `openid`) and refresh token of the grant. */
async function issue(
  deps: OidcDeps,
  client: OidcClientConfig,
  grant: StoredGrant,
  user: User,
  scopes: readonly string[],
  now: number,
  pending: StoredToken[],
): Promise<{ body: TokenResponse; refreshTokenHash: string }> {
  const access = await issueAccessToken(deps, {
    client,
    grant,
    scopes,
    lifetime: Math.min(lifespanOf(deps.config, client, 'refresh_token', 'accessToken'), grant.expiresAt - now),
    now,
    pending,
  });
  const body: TokenResponse = { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: scopes.join(' ') };
  if (scopes.includes('openid')) {
    body.id_token = await signIdToken(deps.keys, {
      issuer: grant.data.issuer,
      client,
      subject: grant.subject,
      authTime: grant.data.authTime,
      amr: grant.data.amr,
      nonce: undefined,
      accessToken: access.token,
      now,
      lifetime: lifespanOf(deps.config, client, 'refresh_token', 'idToken'),
      jti: newUuid(deps.random),
      audience: grant.data.idTokenAudience,
      sid: grant.sid,
      extraClaims: idTokenClaims(deps.config, client, user, scopes, grant.data.claimsRequest),
    });
  }
  const refresh = await issueRefreshToken(deps, { client, grant, via: 'refresh_token', now, pending });
  body.refresh_token = refresh.token;
  return { body, refreshTokenHash: refresh.tokenHash };
}

/** A used refresh token presented after the reuse grace: revokes its whole grant, then refuses. */
async function refuseReuse(deps: OidcDeps, token: StoredToken, rotatedAt: number, now: number): Promise<never> {
  const revoked = await deps.repository.revokeGrant(token.grantId, now);
  await deps.repository.audit({
    time: now,
    event: 'refresh_token_reuse',
    clientId: token.clientId,
    username: token.username,
    grantId: token.grantId,
    detail: `used again ${now - rotatedAt} ms after its rotation; revoked ${revoked} token(s)`,
  });
  deps.logger.warn(
    { clientId: token.clientId, username: token.username, grantId: token.grantId, revoked, sinceRotation: now - rotatedAt },
    'rotated refresh token used again after the reuse grace; every token of its grant revoked',
  );
  deps.observer.event({ event: 'token_revoked', reason: 'refresh_token_reuse', username: token.username, clientId: token.clientId, count: revoked });
  throw new InvalidGrant('The refresh token was already used; every token of this authorization is revoked.');
}
