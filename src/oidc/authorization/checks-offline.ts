/**
 * `offline_access` (OIDC Core §11; `offline` is Authelia's alias): a request for a refresh token.
 * - honoured only for a client that may use it: the `refresh_token` grant and an offline scope
 *   among its `scopes`; otherwise the scope is ignored (RFC 6749 §3.3), never an error;
 * - honoured only with the user's consent to it (§11: "The OP MUST always obtain consent to
 *   returning a Refresh Token that allows offline access"): given on the consent page (the
 *   client's `consent_mode` is `explicit`, or `prompt=consent`, or no remembered consent) or
 *   remembered for exactly these scopes (`pre-configured`). `checkConsent` drops it otherwise
 *   (an `implicit` client without `prompt=consent`; `prompt=none` when the remembered consent
 *   did not cover it), and the code is issued without it: no refresh token, no error.
 */
import { offlineScopes, type OidcClientConfig } from '../../config/oidc-client.js';
import { type AuthorizationContext, type Check, param } from './context.js';

/**
 * The offline scopes `scope` asks for that `client` may be granted (in the order asked, each once);
 * none when the client lacks the `refresh_token` grant or an offline scope.
 */
export function offlineScopesRequested(client: OidcClientConfig, scope: string | undefined): string[] {
  const allowed = client.grantTypes.includes('refresh_token') && client.scopes.some((s) => offlineScopes.includes(s));
  if (!allowed) return [];
  return [...new Set((scope ?? '').split(' ').filter((s) => offlineScopes.includes(s)))];
}

/** Adds the offline scopes the client may be granted to the requested ones (`checkScope` leaves them out). */
export const checkOfflineAccess: Check = (ctx) => {
  for (const s of offlineScopesRequested(ctx.client!, param(ctx, 'scope'))) if (!ctx.scopes.includes(s)) ctx.scopes.push(s);
};

/** Leaves `offline_access` out of what is granted: the request did not obtain consent for it. */
export function dropOfflineAccess(ctx: AuthorizationContext): void {
  ctx.scopes = ctx.scopes.filter((s) => !offlineScopes.includes(s));
}

/** Whether the request asks for (and may be granted) offline access. */
export function asksOfflineAccess(ctx: AuthorizationContext): boolean {
  return ctx.scopes.some((s) => offlineScopes.includes(s));
}
