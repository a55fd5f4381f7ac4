/**
 * `GET /.well-known/openid-configuration` (OIDC Discovery §4) and
 * `GET /.well-known/oauth-authorization-server` (RFC 8414 §3), and `GET /jwks.json` (RFC 7517).
 * The metadata lists only what is implemented: the issuer is the request's origin (no trailing
 * slash), every endpoint is under it, `code_challenge_methods_supported` follows
 * `enable_pkce_plain_challenge`, `authorization_response_iss_parameter_supported` is true
 * (RFC 9207), signed request objects by value (`request`) are supported and `request_uri` is not.
 * `Access-Control-Allow-Origin: *`. test/oidc/discovery.test.ts checks every advertised endpoint,
 * grant and method against what the provider does.
 */
import { clientAuthMethods, knownScopes, requestObjectAlgorithms, supportedGrantTypes } from '../config/oidc-client.js';
import { supportedClaims } from './claims.js';
import { endpoints, type OidcDeps } from './deps.js';
import { issuerOf } from './issuer.js';
import { sendOAuthErrorJson } from './render.js';
import type { OidcHandler, noParameters } from './schemas.js';

/** Discovery and keys take no parameter. */
type NoParametersHandler = OidcHandler<{ querystring: typeof noParameters }>;

/** The provider metadata for `issuer`. */
export function providerMetadata(deps: OidcDeps, issuer: string): Record<string, unknown> {
  const algorithms = deps.keys.algorithms();
  const authMethods = [...clientAuthMethods];
  const authAlgorithms = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
  return {
    issuer,
    authorization_endpoint: `${issuer}${endpoints.authorization}`,
    token_endpoint: `${issuer}${endpoints.token}`,
    userinfo_endpoint: `${issuer}${endpoints.userinfo}`,
    introspection_endpoint: `${issuer}${endpoints.introspection}`,
    revocation_endpoint: `${issuer}${endpoints.revocation}`,
    jwks_uri: `${issuer}${endpoints.jwks}`,
    scopes_supported: [...knownScopes],
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: [...supportedGrantTypes],
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: algorithms,
    userinfo_signing_alg_values_supported: ['none', ...algorithms],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: authAlgorithms,
    introspection_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_signing_alg_values_supported: authAlgorithms,
    revocation_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_signing_alg_values_supported: authAlgorithms,
    code_challenge_methods_supported: deps.config.enablePkcePlainChallenge ? ['S256', 'plain'] : ['S256'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    claims_supported: supportedClaims,
    claim_types_supported: ['normal'],
    claims_parameter_supported: true,
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: [...requestObjectAlgorithms],
    request_uri_parameter_supported: false,
    require_request_uri_registration: false,
    authorization_response_iss_parameter_supported: true,
    // Single logout (oidc/logout/): RP-Initiated, Back-Channel and Front-Channel Logout 1.0.
    end_session_endpoint: `${issuer}${endpoints.endSession}`,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
  };
}

export function discoveryGET(deps: OidcDeps): NoParametersHandler {
  return async (request, reply) => {
    void reply.header('access-control-allow-origin', '*');
    try {
      return reply.header('cache-control', 'public, max-age=300').send(providerMetadata(deps, issuerOf(deps.sessions, request, deps.basePath).issuer));
    } catch (error) {
      return sendOAuthErrorJson(reply, error, request, deps.config.enableClientDebugMessages);
    }
  };
}

export function jwksGET(deps: OidcDeps): NoParametersHandler {
  return async (_request, reply) =>
    reply.header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=300').type('application/json').send(deps.keys.jwks());
}
