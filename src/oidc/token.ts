/**
 * `POST /api/oidc/token` — the token endpoint (RFC 6749 §3.2, §5; OIDC Core §3.1.3).
 * - `application/x-www-form-urlencoded` bodies only (`formEncodedOnly`, before anything else), each
 *   parameter sent once (schemas.ts; RFC 6749 §3.2); client authentication first (client-auth.ts);
 * - `grant_type=authorization_code` (grants/authorization-code.ts), `refresh_token`
 *   (grants/refresh-token.ts), anything else
 *   `unsupported_grant_type`, or `unauthorized_client` when the client may not use it;
 * - `Cache-Control: no-store` and `Pragma: no-cache` on every answer (RFC 6749 §5.1).
 */
import type { preValidationHookHandler } from 'fastify';
import { authenticateClient } from './client-auth.js';
import { endpoints, type OidcDeps } from './deps.js';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from './errors.js';
import type { OidcClientConfig } from '../config/oidc.js';
import { exchangeAuthorizationCode, type TokenResponse } from './grants/authorization-code.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { exchangeRefreshToken } from './grants/refresh-token.js';
import { issuerOf } from './issuer.js';
import { sendOAuthErrorJson } from './render.js';
import type { OidcHandler, tokenForm, tokenHeaders } from './schemas.js';

/** The token route's schema: a repeated parameter is refused before the handler (`invalid_request`). */
export interface TokenSchema {
  headers: typeof tokenHeaders;
  body: typeof tokenForm;
}

/**
 * The token route's `preValidation` guard: a body that is not form-encoded is refused as such
 * before its parameters are validated (RFC 6749 §3.2), with the route's OAuth error handler.
 */
export const formEncodedOnly: preValidationHookHandler = (request, _reply, done) => {
  const type = request.headers['content-type'] ?? '';
  done(type.startsWith('application/x-www-form-urlencoded') ? undefined : new InvalidRequest('The token request must be application/x-www-form-urlencoded.'));
};

/** What a grant is given besides the client and the form: the issuer the request was made to. */
export interface GrantContext {
  readonly issuer: string;
}

/** One grant type of the token endpoint (one module each, in grants/). */
export type GrantHandler = (deps: OidcDeps, client: OidcClientConfig, body: Readonly<Record<string, string>>, context: GrantContext) => Promise<TokenResponse>;

/** The grant types the token endpoint serves, by `grant_type`. */
const grants: Readonly<Record<string, GrantHandler>> = {
  authorization_code: (deps, client, body) =>
    exchangeAuthorizationCode(deps, client, { code: body.code, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier }),
  client_credentials: (deps, client, body, { issuer }) => clientCredentialsGrant(deps, client, { scope: body.scope, audience: body.audience, issuer }),
  refresh_token: (deps, client, body, context) => exchangeRefreshToken(deps, client, { refreshToken: body.refresh_token, scope: body.scope }, context),
};

export function tokenPOST(deps: OidcDeps): OidcHandler<TokenSchema> {
  return async (request, reply) => {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      const { issuer } = issuerOf(deps.sessions, request, deps.basePath);
      const { body } = request;
      const client = await authenticateClient(deps, { authorization: request.headers.authorization, body }, [`${issuer}${endpoints.token}`, issuer]);
      const grantType = body.grant_type;
      if (grantType === undefined) throw new InvalidRequest('grant_type is required.');
      const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
      if (grant === undefined) throw new UnsupportedGrantType(`The grant_type '${grantType}' is not supported.`);
      if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`The grant_type '${grantType}' is not allowed for this client.`);
      return reply.send(await grant(deps, client, body, { issuer }));
    } catch (error) {
      return sendOAuthErrorJson(reply, error, request, deps.config.enableClientDebugMessages);
    }
  };
}
