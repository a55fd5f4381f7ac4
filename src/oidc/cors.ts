import type { onSendHookHandler } from 'fastify';
import type { corsEndpoints, OidcConfig } from '../config/oidc.js';
import type { OidcHandler, preflightHeaders } from './schemas.js';

/** An endpoint that `cors.endpoints` may name. */
export type CorsEndpoint = (typeof corsEndpoints)[number];

/**
 * CORS for the token, userinfo, introspection and revocation endpoints named in
 * `cors.endpoints`, for the origins of
 * `cors.allowed_origins` (and of the clients' redirect URIs with
 * `allowed_origins_from_client_redirect_uris`). Never on the authorization endpoint (RFC 9700 §4.16).
 */
export function corsOrigins(config: OidcConfig): Set<string> {
  const origins = new Set(config.cors.allowedOrigins);
  if (config.cors.allowedOriginsFromClientRedirectUris) {
    for (const client of config.clients) for (const uri of client.redirectUris) origins.add(new URL(uri).origin);
  }
  return origins;
}

/** Adds `Access-Control-Allow-Origin` when the endpoint is enabled and the origin allowed. */
export function corsHeaders(config: OidcConfig, endpoint: CorsEndpoint): onSendHookHandler {
  const enabled = config.cors.endpoints.includes(endpoint);
  const origins = corsOrigins(config);
  return (request, reply, payload, done) => {
    const origin = request.headers.origin;
    if (enabled && origin && (origins.has('*') || origins.has(origin))) {
      void reply.header('access-control-allow-origin', origins.has('*') ? '*' : origin).header('vary', 'Origin');
    }
    done(null, payload);
  };
}

/** The preflight answer (`OPTIONS`). */
export function corsPreflight(config: OidcConfig, endpoint: CorsEndpoint): OidcHandler<{ headers: typeof preflightHeaders }> {
  const enabled = config.cors.endpoints.includes(endpoint);
  const origins = corsOrigins(config);
  return async (request, reply) => {
    const origin = request.headers.origin;
    if (!enabled || !origin || !(origins.has('*') || origins.has(origin))) return reply.status(204).send();
    return reply
      .status(204)
      .header('access-control-allow-origin', origins.has('*') ? '*' : origin)
      .header('access-control-allow-methods', endpoint === 'userinfo' ? 'GET, POST' : 'POST')
      .header('access-control-allow-headers', 'Authorization, Content-Type')
      .header('access-control-max-age', '600')
      .header('vary', 'Origin')
      .send();
  };
}
