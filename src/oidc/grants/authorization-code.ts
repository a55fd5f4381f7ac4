/**
 * The `authorization_code` grant (RFC 6749 §4.1.3, OIDC Core §3.1.3):
 * - the code must exist and be bound to the request: issued to the authenticated client,
 *   `redirect_uri` equal to the one of the authorization request (§4.1.3), and PKCE (RFC 7636
 *   §4.6) — the verifier must match the stored challenge, and a verifier for a code issued
 *   without a challenge is refused (PKCE downgrade, RFC 9700 §4.8.2);
 * - these binding checks come before the code is used up: a request failing them is
 *   `invalid_grant` and leaves the code intact, so that another client (or anyone naming a
 *   public client without its verifier) cannot burn the code or revoke its tokens;
 * - single use: a second redemption that passes the binding checks is `invalid_grant` and
 *   revokes every token issued from the code (RFC 6749 §4.1.2, RFC 9700 §4.2.4);
 * - the code must be unexpired, and the browser session it was issued in still signed in
 *   (single logout: a code redeemed after its session ended would found a grant nobody revokes);
 * - records the grant (absolute lifetime `lifespans.grant`), issues an access token
 *   (access-token.ts), for `openid` an ID token, and a refresh token when the client lists the
 *   `refresh_token` grant and the user granted `offline_access` (issue-refresh-token.ts).
 */
import type { OidcClientConfig } from '../../config/oidc.js';
import type { StoredAuthorizationCode, StoredGrant, StoredToken } from '../../storage/oidc-repositories.js';
import { issueAccessToken } from '../access-token.js';
import { idTokenClaims } from '../claims.js';
import type { OidcDeps } from '../deps.js';
import { InvalidGrant, InvalidRequest } from '../errors.js';
import { idTokenAudience, signIdToken } from '../id-token.js';
import { pkceMatches, pkceValuePattern } from '../pkce.js';
import { lifespanOf } from '../lifespans.js';
import { newUuid } from '../tokens.js';
import { issueRefreshToken, offersRefreshToken } from './issue-refresh-token.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export async function exchangeAuthorizationCode(
  deps: OidcDeps,
  client: OidcClientConfig,
  input: { code: string | undefined; redirectUri: string | undefined; codeVerifier: string | undefined },
): Promise<TokenResponse> {
  if (!input.code) throw new InvalidRequest('code is required.');
  const now = deps.clock.now();
  const codeHash = deps.hasher.hash('code', input.code);
  const found = await deps.repository.findCode(codeHash);
  if (!found) throw new InvalidGrant('The authorization code is invalid.');
  const { code } = found;
  const data = code.data;
  if (code.clientId !== client.id) throw new InvalidGrant('The authorization code was issued to another client.');
  if (input.redirectUri !== data.redirectUri) throw new InvalidGrant('redirect_uri differs from the one of the authorization request.');
  checkVerifier(data.codeChallenge, data.codeChallengeMethod, input.codeVerifier);
  if (found.used) return refuseReplay(deps, code, now);
  if (code.expiresAt <= now) throw new InvalidGrant('The authorization code has expired.');
  const user = await deps.users.get(code.username);
  if (!user) throw new InvalidGrant('The user of this authorization code no longer exists.');
  if (await signInEnded(deps, code.username, data.sid, now)) throw new InvalidGrant(signInEndedMessage);
  const grant: StoredGrant = {
    grantId: code.grantId,
    clientId: client.id,
    username: code.username,
    subject: data.subject,
    scopes: data.scopes,
    data: {
      issuer: data.issuer,
      authTime: data.authTime,
      amr: data.amr,
      audience: [client.id, ...client.audience.filter((a) => a !== client.id)],
      idTokenAudience: idTokenAudience(client),
      claimsRequest: data.claimsRequest,
    },
    createdAt: now,
    expiresAt: now + deps.config.lifespans.grant,
    revokedAt: undefined,
    sid: data.sid ?? '',
  };
  const pending: StoredToken[] = [];
  const access = await issueAccessToken(deps, {
    client,
    grant,
    scopes: data.scopes,
    lifetime: lifespanOf(deps.config, client, 'authorize_code', 'accessToken'),
    now,
    pending,
  });
  const accessToken = access.token;
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: access.expiresIn, scope: data.scopes.join(' ') };
  if (data.scopes.includes('openid')) {
    response.id_token = await signIdToken(deps.keys, {
      issuer: data.issuer,
      client,
      subject: data.subject,
      authTime: data.authTime,
      amr: data.amr,
      nonce: data.nonce,
      accessToken,
      now,
      lifetime: lifespanOf(deps.config, client, 'authorize_code', 'idToken'),
      jti: newUuid(deps.random),
      audience: grant.data.idTokenAudience,
      sid: grant.sid,
      extraClaims: idTokenClaims(deps.config, client, user, data.scopes, data.claimsRequest),
    });
  }
  if (offersRefreshToken(client, data.scopes)) {
    response.refresh_token = (await issueRefreshToken(deps, { client, grant, via: 'authorize_code', now, pending })).token;
  }
  // Using up the code and storing the grant, its tokens and the audit entry: one write. Tokens
  // were made before (never stored) so that a concurrent redemption that lost stores nothing.
  const consumed = await deps.repository.redeemCode(codeHash, now, {
    grant,
    tokens: pending,
    audit: {
      time: now,
      event: 'access_token',
      clientId: client.id,
      username: code.username,
      grantId: code.grantId,
      detail: [response.id_token && 'with id_token', response.refresh_token && 'with refresh_token'].filter(Boolean).join(', '),
    },
  });
  if (!consumed) throw new InvalidGrant('The authorization code is invalid.');
  if (!consumed.firstUse) return refuseReplay(deps, code, now);
  // The session ended while the grant was being stored (its single logout found no grant to
  // revoke): revoke it now.
  if (await signInEnded(deps, code.username, data.sid, deps.clock.now())) {
    await deps.repository.revokeGrant(code.grantId, deps.clock.now());
    throw new InvalidGrant(signInEndedMessage);
  }
  deps.observer.event({ event: 'token_issued', grant: 'authorization_code', username: code.username, clientId: client.id });
  return response;
}

const signInEndedMessage = 'The sign-in this authorization code came from has ended.';

/**
 * Whether the browser session `sid` the code was issued in is over (signed out, revoked,
 * expired, or replaced by another user's sign-in). Single logout revokes the grants of a session
 * when it ends; a code still unredeemed then has no grant yet, so its redemption checks here.
 * Codes stored without a `sid` are not tied to a session.
 */
async function signInEnded(deps: OidcDeps, username: string, sid: string | undefined, now: number): Promise<boolean> {
  if (!sid) return false;
  const sessions = await deps.sessions.listUser(username);
  return !sessions.some((s) => s.state.sid === sid && s.expiresAt > now);
}

/** A second redemption by the code's own client: revokes what was issued from the code, then refuses. */
async function refuseReplay(deps: OidcDeps, code: StoredAuthorizationCode, now: number): Promise<never> {
  const revoked = await deps.repository.revokeGrant(code.grantId, now);
  await deps.repository.audit({
    time: now,
    event: 'code_reuse',
    clientId: code.clientId,
    username: code.username,
    grantId: code.grantId,
    detail: `revoked ${revoked} token(s)`,
  });
  deps.logger.warn({ clientId: code.clientId, username: code.username, revoked }, 'authorization code used twice; tokens issued from it revoked');
  deps.observer.event({ event: 'token_revoked', reason: 'code_reuse', username: code.username, clientId: code.clientId, count: revoked });
  throw new InvalidGrant('The authorization code was already used; the tokens issued from it are revoked.');
}

function checkVerifier(challenge: string | undefined, method: 'S256' | 'plain' | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    if (verifier !== undefined) throw new InvalidGrant('code_verifier was sent but the authorization request had no code_challenge.');
    return;
  }
  if (verifier === undefined) throw new InvalidGrant('code_verifier is required for this code.');
  if (!pkceValuePattern.test(verifier) || !pkceMatches(verifier, challenge, method ?? 'plain'))
    throw new InvalidGrant('code_verifier does not match the code_challenge.');
}
