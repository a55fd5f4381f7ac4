/**
 * `POST /api/oidc/revocation` — token revocation (RFC 7009).
 * - `application/x-www-form-urlencoded` only, each parameter once (schemas.ts `tokenCheckForm`);
 * - the client authenticates as at the token endpoint, with its `revocation_endpoint_auth_method`
 *   when it has one; a public client names itself (`none`) and revokes its own tokens (§2.1, §5);
 * - `token` is required (`invalid_request`); `token_type_hint` only chooses which kind is looked
 *   up first (§2.1);
 * - a refresh token revokes its whole grant: every access and refresh token issued from the same
 *   authorisation (§2.1: "SHOULD also invalidate all access tokens based on the same
 *   authorization grant"); an access token revokes only itself — a JWT access token by its `jti`;
 * - an unknown, expired or already revoked token → 200 (§2.2);
 * - another client's token is never revoked, and is answered exactly like an unknown one (200):
 *   §2.2 lets "invalid tokens" pass, and an error (§2.1's `unauthorized_client`) would tell the
 *   caller that the token it holds exists and belongs to someone else. The attempt is logged;
 * - every revocation is recorded in the issuance log; `Cache-Control: no-store`.
 */
import { authenticateClient } from './client-auth.js';
import { endpoints, type OidcDeps } from './deps.js';
import { InvalidRequest } from './errors.js';
import type { TokenCheckSchema } from './introspection.js';
import { lookupOrder } from './introspection.js';
import { issuerOf } from './issuer.js';
import { sendOAuthErrorJson } from './render.js';
import type { OidcHandler } from './schemas.js';
import { findToken } from './token-check.js';

export function revocationPOST(deps: OidcDeps): OidcHandler<TokenCheckSchema> {
  return async (request, reply) => {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      const { issuer } = issuerOf(deps.sessions, request, deps.basePath);
      const { body } = request;
      const audiences = [`${issuer}${endpoints.revocation}`, `${issuer}${endpoints.token}`, issuer];
      const client = await authenticateClient(deps, { authorization: request.headers.authorization, body }, audiences, 'revocation');
      const value = body.token;
      if (value === undefined || value === '') throw new InvalidRequest('token is required.');
      const found = await findToken(deps, value, lookupOrder(body.token_type_hint));
      if (!found) return reply.status(200).send();
      const { token } = found;
      if (token.clientId !== client.id) {
        deps.logger.warn({ clientId: client.id, owner: token.clientId }, 'revocation: a client presented token of another client; nothing revoked');
        return reply.status(200).send();
      }
      const now = deps.clock.now();
      const revoked =
        token.kind === 'refresh' ? await deps.repository.revokeGrant(token.grantId, now) : Number(await deps.repository.revokeToken(token.tokenHash, now));
      await deps.repository.audit({
        time: now,
        event: 'revocation',
        clientId: client.id,
        username: token.username,
        grantId: token.grantId,
        detail: token.kind === 'refresh' ? `refresh token: grant revoked, ${revoked} token(s)` : `access token: ${revoked} token(s)`,
      });
      deps.observer.event({ event: 'token_revoked', reason: 'revocation_endpoint', username: token.username, clientId: client.id, count: revoked });
      return reply.status(200).send();
    } catch (error) {
      return sendOAuthErrorJson(reply, error, request, deps.config.enableClientDebugMessages);
    }
  };
}
