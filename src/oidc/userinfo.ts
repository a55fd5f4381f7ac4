/**
 * `GET|POST /api/oidc/userinfo` — the UserInfo endpoint (OIDC Core §5.3).
 * - bearer token from the `Authorization` header or, for POST, the form body
 *   (`access_token`, RFC 6750 §2.2), never both; opaque or an RFC 9068 JWT (token-check.ts:
 *   signature, then the stored record by its `jti`); missing, unknown, expired or revoked →
 *   401 `invalid_token` with `WWW-Authenticate: Bearer` (RFC 6750 §3.1);
 * - the token must carry `openid` (else 403 `insufficient_scope`);
 * - claims by scope (claims.ts), read fresh from the user backend, `sub` always;
 * - JSON, or a signed JWT (`application/jwt`, with `iss` and `aud`) only when the client
 *   registered `userinfo_signed_response_alg` (§5.3.2).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import { claimsFor } from './claims.js';
import type { OidcDeps } from './deps.js';
import { InsufficientScope, InvalidRequest, InvalidToken } from './errors.js';
import { issuerOf } from './issuer.js';
import { sendOAuthErrorJson } from './render.js';
import type { OidcHandler, userinfoHeaders, userinfoForm } from './schemas.js';
import { findActiveToken } from './token-check.js';

/** `GET`: the token from the `Authorization` header. */
export function userinfoGET(deps: OidcDeps): OidcHandler<{ headers: typeof userinfoHeaders }> {
  return async (request, reply) => userinfo(deps, request, reply, request.headers.authorization, undefined);
}

/** `POST`: the token from the header or the form's `access_token`. */
export function userinfoPOST(deps: OidcDeps): OidcHandler<{ headers: typeof userinfoHeaders; body: typeof userinfoForm }> {
  return async (request, reply) => {
    const { body } = request;
    return userinfo(deps, request, reply, request.headers.authorization, typeof body === 'object' && body !== null ? body.access_token : undefined);
  };
}

async function userinfo(deps: OidcDeps, request: FastifyRequest, reply: FastifyReply, header: string | undefined, fromBody: string | undefined) {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  try {
    const { issuer } = issuerOf(deps.sessions, request, deps.basePath);
    const token = bearerToken(header, fromBody);
    const now = deps.clock.now();
    const stored = (await findActiveToken(deps, token, ['access']))?.token;
    if (!stored) throw new InvalidToken('The access token is invalid, expired or revoked.');
    if (!stored.scopes.includes('openid')) throw new InsufficientScope("The access token was not issued for the 'openid' scope.");
    const user = await deps.users.get(stored.username);
    const client = deps.clients.get(stored.clientId);
    if (!user || !client) throw new InvalidToken('The access token is no longer valid.');
    const claims = { ...claimsFor(user, stored.scopes), sub: stored.subject };
    if (client.userinfoSignedResponseAlg === 'none') return reply.send(claims);
    const key = deps.keys.signer(client.userinfoSignedResponseAlg, client.signingKeyIds.userinfo);
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(client.id)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(key.privateKey);
    return reply.type('application/jwt').send(jwt);
  } catch (error) {
    return sendOAuthErrorJson(reply, error, request, deps.config.enableClientDebugMessages);
  }
}

/** The one bearer token sent (RFC 6750 §2): in the header or the form, never both. */
function bearerToken(header: string | undefined, fromBody: string | undefined): string {
  const fromHeader = header?.match(/^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i)?.[1];
  if (header !== undefined && fromBody !== undefined) throw new InvalidRequest('The access token was sent in more than one way.');
  if (header !== undefined && fromHeader === undefined) throw new InvalidToken('The Authorization header is not a Bearer token.');
  const token = fromHeader ?? fromBody;
  if (!token) throw new InvalidToken('An access token is required.');
  return token;
}
