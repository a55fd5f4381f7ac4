import type { onSendHookHandler, preHandlerHookHandler, RouteOptions } from 'fastify';
import { sameOriginOnly, portalHeaders } from '../portal/guards.js';
import type { PortalDeps } from '../portal/deps.js';
import { targetQuerySchema } from '../portal/handlers/common.js';
import {
  codeFormSchema,
  enrolConfirmFormPOST,
  enrolConfirmPOST,
  enrolPageGET,
  enrolStartFormPOST,
  enrolStartPOST,
  enrolVerifyFormPOST,
  enrolVerifyPOST,
} from '../portal/handlers/enrolment.js';
import { firstFactorBodySchema, firstFactorPOST, loginFormPOST, loginFormSchema, loginPageGET } from '../portal/handlers/first-factor.js';
import { secondFactorFormPOST, secondFactorPageGET, totpBodySchema, totpFormSchema, totpPOST } from '../portal/handlers/second-factor.js';
import { authenticatedPageGET, logoutBodySchema, logoutFormPOST, logoutPOST, logoutPageGET, stateGET, userInfoGET } from '../portal/handlers/session.js';
import { staticGET } from '../portal/handlers/static.js';
import { authRequestGET } from '../authz/auth-request.js';
import { type AuthzDeps, authzQuerySchema } from '../authz/endpoint.js';
import { extAuthzANY } from '../authz/ext-authz.js';
import { forwardAuthGET } from '../authz/forward-auth.js';
import { legacyVerifyANY } from '../authz/legacy.js';
import { consentFormAction, consentFormPOST, consentFormSchema, consentPageGET, consentQuerySchema } from '../portal/handlers/consent.js';
import { authorizationHandler } from '../oidc/authorization/index.js';
import { consentPort } from '../oidc/consent.js';
import { corsHeaders, corsPreflight } from '../oidc/cors.js';
import type { OidcDeps } from '../oidc/deps.js';
import { discoveryGET, jwksGET } from '../oidc/discovery.js';
import { tokenPOST } from '../oidc/token.js';
import { userinfoHandler } from '../oidc/userinfo.js';
import { healthGET } from './health.js';

export interface RouteDeps {
  readonly portal: PortalDeps;
  readonly authz: AuthzDeps;
  /** Absent when `identity_providers.oidc` is not configured: no OpenID Connect routes. */
  readonly oidc?: OidcDeps | undefined;
}

/**
 * Every route the gateway serves, in one table: method, path, guards, input schema, handler.
 * Portal rows carry the portal's security headers (`onSend`); every state-changing portal row
 * is guarded against cross-site requests (`preHandler: sameOrigin`).
 */
export function routeTable({ portal, authz, oidc }: RouteDeps): RouteOptions[] {
  const sameOrigin = sameOriginOnly(portal);
  const headers = portalHeaders(portal);
  const page = (url: string, handler: RouteOptions['handler']): RouteOptions => ({
    method: 'GET',
    url,
    schema: { querystring: targetQuerySchema },
    onSend: headers,
    handler,
  });
  const post = (url: string, body: object, handler: RouteOptions['handler']): RouteOptions => ({
    method: 'POST',
    url,
    schema: { body },
    preHandler: sameOrigin,
    onSend: headers,
    handler,
  });
  const api = (method: 'GET' | 'POST', url: string, handler: RouteOptions['handler'], body?: object): RouteOptions =>
    method === 'GET' ? { method, url, onSend: headers, handler } : post(url, body ?? { type: 'object' }, handler);

  const anyMethod = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  const check = (method: string[], url: string, handler: RouteOptions['handler']): RouteOptions => ({
    method,
    url,
    schema: { querystring: authzQuerySchema },
    handler,
  });

  return [
    { method: ['GET', 'HEAD'], url: '/api/health', handler: healthGET },

    // Forward-auth endpoints (authz/): what a reverse proxy asks before letting a request through.
    check(['GET', 'HEAD'], '/api/authz/forward-auth', forwardAuthGET(authz)),
    check(['GET', 'HEAD'], '/api/authz/auth-request', authRequestGET(authz)),
    check(anyMethod, '/api/authz/ext-authz', extAuthzANY(authz)),
    check(anyMethod, '/api/authz/ext-authz/*', extAuthzANY(authz)),
    check(anyMethod, '/api/verify', legacyVerifyANY(authz)),

    // Portal pages (server-rendered; forms work without JavaScript).
    page('/', loginPageGET(portal)),
    post('/login', loginFormSchema, loginFormPOST(portal)),
    page('/2fa', secondFactorPageGET(portal)),
    post('/2fa', totpFormSchema, secondFactorFormPOST(portal)),
    page('/2fa/enroll', enrolPageGET(portal)),
    post('/2fa/enroll/start', codeFormSchema, enrolStartFormPOST(portal)),
    post('/2fa/enroll/verify', codeFormSchema, enrolVerifyFormPOST(portal)),
    post('/2fa/enroll/confirm', codeFormSchema, enrolConfirmFormPOST(portal)),
    page('/authenticated', authenticatedPageGET(portal)),
    page('/logout', logoutPageGET(portal)),
    post('/logout', logoutBodySchema, logoutFormPOST(portal)),
    { method: ['GET', 'HEAD'], url: '/static/:file', handler: staticGET },

    // Portal JSON API (Authelia-compatible names and shapes).
    api('POST', '/api/firstfactor', firstFactorPOST(portal), firstFactorBodySchema),
    api('POST', '/api/secondfactor/totp', totpPOST(portal), totpBodySchema),
    api('POST', '/api/secondfactor/totp/identity/start', enrolStartPOST(portal)),
    api('POST', '/api/secondfactor/totp/identity/finish', enrolVerifyPOST(portal), codeFormSchema),
    api('POST', '/api/secondfactor/totp/register', enrolConfirmPOST(portal), codeFormSchema),
    api('GET', '/api/state', stateGET(portal)),
    api('GET', '/api/user/info', userInfoGET(portal)),
    api('POST', '/api/logout', logoutPOST(portal), logoutBodySchema),

    // OpenID Connect provider (oidc/): discovery, keys, authorization (GET and cross-site POST
    // by design), token, userinfo; the consent page is a portal page.
    ...(oidc ? oidcRows(oidc, portal, headers, sameOrigin) : []),
  ];
}

function oidcRows(oidc: OidcDeps, portal: PortalDeps, headers: onSendHookHandler, sameOrigin: preHandlerHookHandler): RouteOptions[] {
  const consent = consentPort(oidc);
  const c = oidc.config;
  return [
    { method: ['GET', 'HEAD'], url: '/.well-known/openid-configuration', handler: discoveryGET(oidc) },
    { method: ['GET', 'HEAD'], url: '/.well-known/oauth-authorization-server', handler: discoveryGET(oidc) },
    { method: ['GET', 'HEAD'], url: '/jwks.json', handler: jwksGET(oidc) },
    { method: ['GET', 'POST'], url: '/api/oidc/authorization', handler: authorizationHandler(oidc) },
    { method: 'POST', url: '/api/oidc/token', onSend: corsHeaders(c, 'token'), handler: tokenPOST(oidc) },
    { method: 'OPTIONS', url: '/api/oidc/token', handler: corsPreflight(c, 'token') },
    { method: ['GET', 'POST'], url: '/api/oidc/userinfo', onSend: corsHeaders(c, 'userinfo'), handler: userinfoHandler(oidc) },
    { method: 'OPTIONS', url: '/api/oidc/userinfo', handler: corsPreflight(c, 'userinfo') },
    {
      method: 'GET',
      url: '/consent',
      schema: { querystring: consentQuerySchema },
      onSend: [headers, consentFormAction],
      handler: consentPageGET(portal, consent),
    },
    {
      method: 'POST',
      url: '/consent',
      schema: { body: consentFormSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: consentFormPOST(portal, consent),
    },
  ];
}
