/**
 * `POST /api/oidc/token` — the token endpoint (RFC 6749 §3.2, §5; OIDC Core §3.1.3).
 * - `application/x-www-form-urlencoded` bodies only; client authentication first (client-auth.ts);
 * - `grant_type=authorization_code` (grants/authorization-code.ts), anything else
 *   `unsupported_grant_type`, or `unauthorized_client` when the client may not use it;
 * - `Cache-Control: no-store` and `Pragma: no-cache` on every answer (RFC 6749 §5.1).
 */
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { authenticateClient } from './client-auth.js';
import { endpoints, type OidcDeps } from './deps.js';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from './errors.js';
import { exchangeAuthorizationCode } from './grants/authorization-code.js';
import { issuerOf } from './issuer.js';
import { sendOAuthErrorJson } from './render.js';

export function tokenPOST(deps: OidcDeps): RouteHandlerMethod {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      const { issuer } = issuerOf(deps.sessions, request);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        throw new InvalidRequest('The token request must be application/x-www-form-urlencoded.');
      }
      const body = (request.body ?? {}) as Record<string, unknown>;
      for (const [name, value] of Object.entries(body)) {
        if (Array.isArray(value)) throw new InvalidRequest(`The parameter '${name}' must not be repeated.`);
      }
      const client = await authenticateClient(deps, { authorization: request.headers.authorization, body }, [`${issuer}${endpoints.token}`, issuer]);
      const str = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
      const grantType = str('grant_type');
      if (grantType === undefined) throw new InvalidRequest('grant_type is required.');
      if (grantType !== 'authorization_code') throw new UnsupportedGrantType(`The grant_type '${grantType}' is not supported.`);
      if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`The grant_type '${grantType}' is not allowed for this client.`);
      const response = await exchangeAuthorizationCode(deps, client, {
        code: str('code'),
        redirectUri: str('redirect_uri'),
        codeVerifier: str('code_verifier'),
      });
      return reply.send(response);
    } catch (error) {
      return sendOAuthErrorJson(reply, error, request);
    }
  };
}
