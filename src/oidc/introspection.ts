/**
 * `POST /api/oidc/introspection` — token introspection (RFC 7662).
 * - `application/x-www-form-urlencoded` only, each parameter once (schemas.ts `tokenCheckForm`);
 * - the client authenticates as at the token endpoint, with its
 *   `introspection_endpoint_auth_method` when it has one (§2.1; client-auth.ts);
 * - `token` is required (`invalid_request`); `token_type_hint` (`access_token`,
 *   `refresh_token`) only chooses which kind is looked up first — any other hint is ignored (§2.1);
 * - a client learns only about its own tokens: another client's token is `{"active":false}`,
 *   unless the caller is a confidential client with `introspect_any_token` (a resource server, §4);
 * - unknown, expired, revoked, rotated, malformed (a JWT that does not verify) or foreign →
 *   `200 {"active":false}` and nothing more (§2.2);
 * - an active token → `active`, `scope`, `client_id`, `username` (a user's token), `sub`, `aud`,
 *   `iss`, `exp`, `iat`, `token_type` (`Bearer` for an access token) and `jti` (a JWT access
 *   token) (§2.2);
 * - `Cache-Control: no-store` on every answer; errors in the OAuth shape (render.ts).
 */
import type { OidcClientConfig } from '../config/oidc.js';
import type { StoredToken } from '../storage/oidc-repositories.js';
import { authenticateClient } from './client-auth.js';
import { endpoints, type OidcDeps } from './deps.js';
import { InvalidRequest } from './errors.js';
import { issuerOf } from './issuer.js';
import { sendOAuthErrorJson } from './render.js';
import type { OidcHandler, tokenCheckForm, tokenHeaders } from './schemas.js';
import { type FoundToken, findToken, isActive, type TokenKind } from './token-check.js';

/** The introspection and revocation routes' schema. */
export interface TokenCheckSchema {
  headers: typeof tokenHeaders;
  body: typeof tokenCheckForm;
}

export function introspectionPOST(deps: OidcDeps): OidcHandler<TokenCheckSchema> {
  return async (request, reply) => {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      const { issuer } = issuerOf(deps.sessions, request, deps.basePath);
      const { body } = request;
      const audiences = [`${issuer}${endpoints.introspection}`, `${issuer}${endpoints.token}`, issuer];
      const client = await authenticateClient(deps, { authorization: request.headers.authorization, body }, audiences, 'introspection');
      const value = body.token;
      if (value === undefined || value === '') throw new InvalidRequest('token is required.');
      const found = await findToken(deps, value, lookupOrder(body.token_type_hint));
      if (!found || !(await isActive(deps, found.token, deps.clock.now())) || !mayIntrospect(client, found.token)) {
        if (found) deps.logger.debug({ clientId: client.id, owner: found.token.clientId }, 'introspection: inactive token, or one of another client');
        return reply.send({ active: false });
      }
      return reply.send(await describe(deps, found, issuer));
    } catch (error) {
      return sendOAuthErrorJson(reply, error, request, deps.config.enableClientDebugMessages);
    }
  };
}

/** Which kinds to look a token up as, the hinted one first (a hint never excludes the other). */
export function lookupOrder(hint: string | undefined): TokenKind[] {
  return hint === 'refresh_token' ? ['refresh', 'access'] : ['access', 'refresh'];
}

/** A client may introspect its own tokens; a confidential resource server, every token. */
function mayIntrospect(client: OidcClientConfig, token: StoredToken): boolean {
  return token.clientId === client.id || (client.introspectAnyToken && !client.public);
}

/** The RFC 7662 §2.2 answer for an active token. */
async function describe(deps: OidcDeps, { token, jti }: FoundToken, requestIssuer: string): Promise<Record<string, unknown>> {
  const grant = await deps.repository.findGrant(token.grantId);
  const audience = token.audience ?? [];
  return {
    active: true,
    scope: token.scopes.join(' '),
    client_id: token.clientId,
    ...(token.username !== '' ? { username: token.username } : {}),
    sub: token.subject,
    ...(audience.length > 0 ? { aud: audience.length === 1 ? audience[0] : [...audience] } : {}),
    iss: grant?.data.issuer ?? requestIssuer,
    exp: Math.floor(token.expiresAt / 1000),
    iat: Math.floor(token.issuedAt / 1000),
    ...(token.kind === 'access' ? { token_type: 'Bearer' } : {}),
    ...(jti !== undefined ? { jti } : {}),
  };
}
