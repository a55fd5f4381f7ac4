/**
 * The checks of a refresh request, in order, before the refresh token is used (refresh-token.ts):
 * each throws to refuse, and none changes anything, so a refused request leaves the token, its
 * grant and every other token as they were. Reading the list reads the rules.
 */
import type { User } from '../../auth/users/user.js';
import type { OidcClientConfig } from '../../config/oidc.js';
import type { StoredGrant, StoredToken } from '../../storage/oidc-repositories.js';
import type { OidcDeps } from '../deps.js';
import { InvalidGrant, InvalidScope } from '../errors.js';

/** One refresh request as the checks see it; they fill in `scopes` and `user`. */
export interface RefreshContext {
  readonly deps: Pick<OidcDeps, 'users'>;
  /** The authenticated client. */
  readonly client: OidcClientConfig;
  /** The issuer the request was made to. */
  readonly issuer: string;
  readonly now: number;
  /** The stored refresh token presented. */
  readonly token: StoredToken;
  /** Its grant. */
  readonly grant: StoredGrant;
  /** The `scope` parameter, when sent. */
  readonly requestedScope: string | undefined;
  /** What the new access token may do: the grant's scopes, or fewer. */
  scopes: readonly string[];
  /** The user, enabled and in the users file. */
  user: User | undefined;
}

export type RefreshCheck = (ctx: RefreshContext) => void | Promise<void>;

/** Bound to its client (RFC 6749 §6, RFC 9700 §4.14.2): another client's token is refused and left alone. */
export const checkBoundToClient: RefreshCheck = (ctx) => {
  if (ctx.token.clientId !== ctx.client.id) throw new InvalidGrant('The refresh token was issued to another client.');
};

export const checkTokenLive: RefreshCheck = (ctx) => {
  if (ctx.token.revokedAt !== undefined) throw new InvalidGrant('The refresh token has been revoked.');
  if (ctx.token.expiresAt <= ctx.now) throw new InvalidGrant('The refresh token has expired.');
};

/**
 * The grant is neither revoked (the user revoked the app's access, a token was replayed, the user
 * was disabled or removed) nor past its absolute lifetime (`lifespans.grant`).
 */
export const checkGrantLive: RefreshCheck = (ctx) => {
  if (ctx.grant.revokedAt !== undefined) throw new InvalidGrant('The access granted to this application has been revoked; the user must sign in again.');
  if (ctx.grant.expiresAt <= ctx.now) throw new InvalidGrant('The access granted to this application has expired; the user must sign in again.');
};

/** A refreshed ID token keeps its `iss` (OIDC Core §12.2): the token is used at the issuer that issued it. */
export const checkIssuer: RefreshCheck = (ctx) => {
  if (ctx.grant.data.issuer !== ctx.issuer) throw new InvalidGrant('The refresh token was issued by another issuer.');
};

/** The user is still in the users file and enabled. */
export const checkUser: RefreshCheck = async (ctx) => {
  ctx.user = await ctx.deps.users.get(ctx.grant.username);
  if (!ctx.user) throw new InvalidGrant('The user of this refresh token no longer exists or is disabled.');
};

/**
 * `scope` may only narrow (RFC 6749 §6; OIDC Core §12.1): absent means the grant's scopes; each
 * one named must have been granted. Without `openid` no ID token is issued; without
 * `offline_access` the new access token does not carry it, and the refresh token still rotates
 * (it keeps the grant's scopes, so a later refresh may ask for all of them again).
 */
export const checkScope: RefreshCheck = (ctx) => {
  if (ctx.requestedScope === undefined) {
    ctx.scopes = ctx.grant.scopes;
    return;
  }
  const requested = [...new Set(ctx.requestedScope.split(' ').filter((s) => s !== ''))];
  if (requested.length === 0) throw new InvalidScope('scope, when sent, must name at least one scope.');
  const widened = requested.filter((s) => !ctx.grant.scopes.includes(s));
  if (widened.length > 0) throw new InvalidScope(`The scope '${widened.join(' ')}' was not granted; a refresh may only narrow the scope.`);
  ctx.scopes = requested;
};

/** The checks, in order: `invalid_grant` reasons first, then the scope. */
export const refreshChecks: readonly RefreshCheck[] = [checkBoundToClient, checkTokenLive, checkGrantLive, checkIssuer, checkUser, checkScope];
