import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchema,
  onSendHookHandler,
  preHandlerHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteOptions,
} from 'fastify';
import type { TSchema } from 'typebox';
import { sameOriginOnly, portalHeaders } from '../portal/guards.js';
import { rateLimit } from '../portal/rate-limit.js';
import type { RateLimitConfig, RateLimitName } from '../config/server-endpoints.js';
import type { PortalDeps } from '../portal/deps.js';
import { type Handler, type PageHandler, targetQuerySchema } from '../portal/handlers/common.js';
import {
  elevationCodeSchema,
  elevationDELETE,
  elevationGET,
  elevationIdSchema,
  elevationPOST,
  elevationPUT,
  elevationStartSchema,
} from '../portal/handlers/elevation.js';
import {
  choiceBodySchema,
  choiceFormSchema,
  codeFormSchema,
  emptyBodySchema,
  enrolConfirmFormPOST,
  enrolConfirmPOST,
  enrolOptionsFormPOST,
  enrolOptionsGET,
  enrolOptionsPUT,
  enrolPageGET,
  enrolStartFormPOST,
  enrolStartPOST,
  enrolVerifyFormPOST,
  enrolVerifyPOST,
} from '../portal/handlers/enrolment.js';
import {
  newPasswordFormPOST,
  newPasswordFormSchema,
  newPasswordPageGET,
  newPasswordSchema,
  resetCheckPOST,
  resetLinkQuerySchema,
  resetLinkSchema,
  resetPasswordPOST,
  resetRequestFormPOST,
  resetRequestPageGET,
  resetStartPOST,
  resetStartSchema,
} from '../portal/handlers/password-reset.js';
import {
  changePasswordIdentityPOST,
  changePasswordPOST,
  changePasswordSchema,
  passwordChangeFormPOST,
  passwordChangeFormSchema,
  passwordChangeIdentityFormPOST,
  passwordChangePageGET,
} from '../portal/handlers/password-change.js';
import { firstFactorBodySchema, firstFactorPOST, loginFormPOST, loginFormSchema, loginPageGET } from '../portal/handlers/first-factor.js';
import {
  passwordBodySchema,
  passwordFormPOST,
  passwordFormSchema,
  passwordPOST,
  secondFactorFormPOST,
  secondFactorPageGET,
  totpBodySchema,
  totpFormSchema,
  totpPOST,
} from '../portal/handlers/second-factor.js';
import {
  assertionBodySchema,
  emptyObjectSchema,
  identityCodeSchema,
  identityFinishPOST,
  identityStartPOST,
  passkeyFormPOST,
  passkeyOptionsGET,
  passkeyPOST,
  registerFormPOST,
  registerIdentityFormPOST,
  registerPageGET,
  registerVerifyFormPOST,
  registrationBodySchema,
  registrationDELETE,
  registrationOptionsPUT,
  registrationPOST,
  registrationStartSchema,
  secondFactorOptionsGET,
  secondFactorFormPOST as webauthnSecondFactorFormPOST,
  secondFactorPOST as webauthnSecondFactorPOST,
  webauthnFormSchema,
} from '../portal/handlers/webauthn.js';
import {
  authenticatedPageGET,
  logoutBodySchema,
  logoutEverywhereFormPOST,
  logoutEverywherePOST,
  logoutFormPOST,
  logoutFormSchema,
  logoutPOST,
  logoutPageGET,
  stateGET,
  userInfoGET,
} from '../portal/handlers/session.js';
import { staticGET, staticParamsSchema } from '../portal/handlers/static.js';
import {
  credentialFormSchema,
  endOtherSessionsFormPOST,
  endSessionFormPOST,
  methodFormSchema,
  preferredMethodFormPOST,
  removeCredentialFormPOST,
  removeTotpFormPOST,
  renameCredentialFormPOST,
  renameFormSchema,
  revokeAppFormPOST,
  sessionFormSchema,
  settingsPageGET,
  settingsQuerySchema,
} from '../portal/handlers/settings.js';
import {
  credentialDescriptionSchema,
  credentialParamsSchema,
  preferredMethodPOST,
  preferredMethodSchema,
  sessionIdSchema,
  totpDELETE,
  userSessionRevokePOST,
  userSessionsGET,
  userSessionsRevokeOthersPOST,
  webauthnCredentialDELETE,
  webauthnCredentialPUT,
  webauthnCredentialsGET,
} from '../portal/handlers/settings-api.js';
import { endSessionConfirmPOST, endSessionGET, endSessionPOST, signOutPolicy } from '../portal/handlers/end-session.js';
import { consentFormAction, consentFormPOST, consentFormSchema, consentPageGET, consentQuerySchema } from '../portal/handlers/consent.js';
import {
  consentsGET,
  consentsPageGET,
  consentsQuerySchema,
  consentsRevokeFormPOST,
  consentsRevokePOST,
  revokeConsentSchema,
} from '../portal/handlers/consents.js';
import { authorizedAppsPort } from '../oidc/authorized-apps.js';
import { authorizationGET, authorizationPOST } from '../oidc/authorization/index.js';
import { consentPort } from '../oidc/consent.js';
import { corsHeaders, corsPreflight } from '../oidc/cors.js';
import { type OidcDeps, endpoints } from '../oidc/deps.js';
import { discoveryGET, jwksGET } from '../oidc/discovery.js';
import { endSessionErrorHandler, endSessionPort } from '../oidc/logout/end-session.js';
import { frontChannelPort } from '../oidc/logout/front-channel.js';
import { oauthJsonErrorHandler, oauthPageErrorHandler } from '../oidc/render.js';
import {
  authorizationForm,
  endSessionForm,
  endSessionParameters,
  userinfoHeaders,
  authorizationParameters,
  noParameters,
  preflightHeaders,
  tokenCheckForm,
  tokenForm,
  tokenHeaders,
  userinfoForm,
} from '../oidc/schemas.js';
import { formBodyOnly } from '../oidc/form-body.js';
import { introspectionPOST } from '../oidc/introspection.js';
import { revocationPOST } from '../oidc/revocation.js';
import { formEncodedOnly, tokenPOST } from '../oidc/token.js';
import { userinfoGET, userinfoPOST } from '../oidc/userinfo.js';
import { type HealthCheck, healthGET } from './health.js';

export interface RouteDeps {
  readonly portal: PortalDeps;
  /** Absent when `identity_providers.oidc` is not configured: no OpenID Connect routes. */
  readonly oidc?: OidcDeps | undefined;
  /** What `/api/health` probes (the stores needed while running). */
  readonly health: HealthCheck;
  /** `server.endpoints.rate_limits` (absent: no rate limits, as in tests of other areas). */
  readonly rateLimits?: Readonly<Record<RateLimitName, RateLimitConfig>> | undefined;
}

/** The fastify instance routes are added to: request types come from each route's TypeBox schema. */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** One row of the table, ready to be added to the application. */
export type Route = (app: TypedApp) => void;

/** A handler typed by a schema must be given it: its route declares `schema` (else it may omit it). */
type SchemaOf<S extends FastifySchema> = Record<never, never> extends S ? unknown : { schema: S };

/**
 * A row whose handler reads what its schema `S` validates: the compiler checks that the
 * handler's request type is the one the schema gives, and that the schema is there (no cast at
 * the edge; test/server/route-types.check.ts).
 */
export function route<S extends FastifySchema>(
  options: RouteOptions<
    RawServerDefault,
    RawRequestDefaultExpression,
    RawReplyDefaultExpression,
    RouteGenericInterface,
    ContextConfigDefault,
    S,
    TypeBoxTypeProvider
  > &
    SchemaOf<S>,
): Route {
  return (app) => {
    app.route(options);
  };
}

/**
 * Every route fastify serves, in one table: method, path, guards, input schema, handler.
 * Portal rows carry the portal's security headers (`onSend`); every state-changing portal row
 * is guarded against cross-site requests (`preHandler: sameOrigin`). OpenID Connect rows answer
 * a request their schema refuses with an OAuth error (`errorHandler`), never fastify's body.
 */
export function routeTable({ portal, oidc, health, rateLimits }: RouteDeps): Route[] {
  const sameOrigin = sameOriginOnly(portal);
  const headers = portalHeaders(portal);
  // One limiter per group, shared by its JSON and form routes (docs/forward-auth-and-proxy.md, "Endpoints").
  const limit = (name: RateLimitName) => rateLimits && rateLimit(rateLimits[name], { clock: portal.clock, elevation: portal.elevation });
  const totpLimit = limit('second_factor_totp');
  const passwordLimit = limit('second_factor_password');
  const resetStartLimit = limit('reset_password_start');
  const resetFinishLimit = limit('reset_password_finish');
  const elevationStartLimit = limit('session_elevation_start');
  const elevationFinishLimit = limit('session_elevation_finish');
  const page = (url: string, handler: PageHandler): Route =>
    route({ method: 'GET', url, schema: { querystring: targetQuerySchema }, onSend: headers, handler });
  const post = <B extends TSchema>(url: string, body: B, handler: Handler<{ body: B }>, limited?: preHandlerHookHandler): Route =>
    route({ method: 'POST', url, schema: { body }, preHandler: limited ? [sameOrigin, limited] : sameOrigin, onSend: headers, handler });
  const get = (url: string, handler: Handler): Route => route({ method: 'GET', url, onSend: headers, handler });
  // The settings page lists the user's authorised apps while the OpenID Connect provider runs.
  const apps = oidc && authorizedAppsPort(oidc);

  return [
    route({ method: ['GET', 'HEAD'], url: '/api/health', handler: healthGET(health) }),

    // The forward-auth endpoints (/api/authz/*, /api/verify) are not here: the listener answers
    // them ahead of fastify (server/listener.ts, authz/http.ts).

    // Portal pages (server-rendered; forms work without JavaScript).
    page('/', loginPageGET(portal)),
    post('/login', loginFormSchema, loginFormPOST(portal)),
    page('/2fa', secondFactorPageGET(portal)),
    post('/2fa', totpFormSchema, secondFactorFormPOST(portal), totpLimit),
    page('/2fa/enroll', enrolPageGET(portal)),
    post('/2fa/enroll/start', codeFormSchema, enrolStartFormPOST(portal), elevationStartLimit),
    post('/2fa/enroll/verify', codeFormSchema, enrolVerifyFormPOST(portal), elevationFinishLimit),
    post('/2fa/enroll/options', choiceFormSchema, enrolOptionsFormPOST(portal)),
    post('/2fa/enroll/confirm', codeFormSchema, enrolConfirmFormPOST(portal)),
    post('/2fa/password', passwordFormSchema, passwordFormPOST(portal), passwordLimit),
    post('/2fa/webauthn', webauthnFormSchema, webauthnSecondFactorFormPOST(portal)),
    post('/login/passkey', webauthnFormSchema, passkeyFormPOST(portal)),
    page('/settings/webauthn', registerPageGET(portal)),
    post('/settings/webauthn/identity', webauthnFormSchema, registerIdentityFormPOST(portal), elevationStartLimit),
    post('/settings/webauthn/verify', webauthnFormSchema, registerVerifyFormPOST(portal), elevationFinishLimit),
    post('/settings/webauthn/register', webauthnFormSchema, registerFormPOST(portal)),
    get('/reset-password', resetRequestPageGET(portal)),
    post('/reset-password', resetStartSchema, resetRequestFormPOST(portal), resetStartLimit),
    route({ method: 'GET', url: '/reset-password/step2', schema: { querystring: resetLinkQuerySchema }, onSend: headers, handler: newPasswordPageGET(portal) }),
    post('/reset-password/step2', newPasswordFormSchema, newPasswordFormPOST(portal), resetFinishLimit),
    get('/settings/password', passwordChangePageGET(portal)),
    post('/settings/password', passwordChangeFormSchema, passwordChangeFormPOST(portal)),
    post('/settings/password/identity', emptyBodySchema, passwordChangeIdentityFormPOST(portal), elevationStartLimit),
    page('/authenticated', authenticatedPageGET(portal)),
    route({ method: 'GET', url: '/settings', schema: { querystring: settingsQuerySchema }, onSend: headers, handler: settingsPageGET(portal, apps) }),
    post('/settings/totp/remove', emptyBodySchema, removeTotpFormPOST(portal, apps)),
    post('/settings/webauthn/rename', renameFormSchema, renameCredentialFormPOST(portal, apps)),
    post('/settings/webauthn/remove', credentialFormSchema, removeCredentialFormPOST(portal, apps)),
    post('/settings/method', methodFormSchema, preferredMethodFormPOST(portal, apps)),
    post('/settings/sessions/end', sessionFormSchema, endSessionFormPOST(portal, apps)),
    post('/settings/sessions/end-others', emptyBodySchema, endOtherSessionsFormPOST(portal, apps)),
    post('/settings/apps/revoke', revokeConsentSchema, revokeAppFormPOST(portal, apps)),
    page('/logout', logoutPageGET(portal)),
    route({
      method: 'POST',
      url: '/logout',
      schema: { body: logoutFormSchema },
      preHandler: sameOrigin,
      // The signed-out page loads the session's front-channel logout URIs (CSP frame-src widened for them).
      onSend: [headers, signOutPolicy],
      handler: logoutFormPOST(portal, oidc && frontChannelPort(oidc)),
    }),
    route({
      method: 'POST',
      url: '/logout/everywhere',
      schema: { body: emptyBodySchema },
      preHandler: sameOrigin,
      onSend: [headers, signOutPolicy],
      handler: logoutEverywhereFormPOST(portal, oidc && frontChannelPort(oidc)),
    }),
    route({ method: ['GET', 'HEAD'], url: '/static/:file', schema: { params: staticParamsSchema }, handler: staticGET }),

    // Portal JSON API (Authelia-compatible names and shapes).
    post('/api/firstfactor', firstFactorBodySchema, firstFactorPOST(portal)),
    post('/api/secondfactor/totp', totpBodySchema, totpPOST(portal), totpLimit),
    post('/api/secondfactor/totp/identity/start', emptyBodySchema, enrolStartPOST(portal), elevationStartLimit),
    post('/api/secondfactor/totp/identity/finish', codeFormSchema, enrolVerifyPOST(portal), elevationFinishLimit),
    post('/api/secondfactor/totp/register', codeFormSchema, enrolConfirmPOST(portal)),
    get('/api/secondfactor/totp/register', enrolOptionsGET(portal)),
    route({
      method: 'PUT',
      url: '/api/secondfactor/totp/register',
      schema: { body: choiceBodySchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: enrolOptionsPUT(portal),
    }),
    get('/api/user/session/elevation', elevationGET(portal)),
    post('/api/user/session/elevation', elevationStartSchema, elevationPOST(portal), elevationStartLimit),
    route({
      method: 'PUT',
      url: '/api/user/session/elevation',
      schema: { body: elevationCodeSchema },
      preHandler: elevationFinishLimit ? [sameOrigin, elevationFinishLimit] : sameOrigin,
      onSend: headers,
      handler: elevationPUT(portal),
    }),
    route({
      method: 'DELETE',
      url: '/api/user/session/elevation/:id',
      schema: { params: elevationIdSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: elevationDELETE(portal),
    }),
    post('/api/secondfactor/password', passwordBodySchema, passwordPOST(portal), passwordLimit),
    get('/api/secondfactor/webauthn', secondFactorOptionsGET(portal)),
    post('/api/secondfactor/webauthn', assertionBodySchema, webauthnSecondFactorPOST(portal)),
    post('/api/secondfactor/webauthn/identity/start', emptyObjectSchema, identityStartPOST(portal), elevationStartLimit),
    post('/api/secondfactor/webauthn/identity/finish', identityCodeSchema, identityFinishPOST(portal), elevationFinishLimit),
    route({
      method: 'PUT',
      url: '/api/secondfactor/webauthn/credential/register',
      schema: { body: registrationStartSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: registrationOptionsPUT(portal),
    }),
    post('/api/secondfactor/webauthn/credential/register', registrationBodySchema, registrationPOST(portal)),
    route({
      method: 'DELETE',
      url: '/api/secondfactor/webauthn/credential/register',
      preHandler: sameOrigin,
      onSend: headers,
      handler: registrationDELETE(portal),
    }),
    get('/api/firstfactor/passkey', passkeyOptionsGET(portal)),
    post('/api/firstfactor/passkey', assertionBodySchema, passkeyPOST(portal)),
    post('/api/reset-password/identity/start', resetStartSchema, resetStartPOST(portal), resetStartLimit),
    post('/api/reset-password/identity/finish', resetLinkSchema, resetCheckPOST(portal), resetFinishLimit),
    post('/api/reset-password', newPasswordSchema, resetPasswordPOST(portal), resetFinishLimit),
    post('/api/change-password', changePasswordSchema, changePasswordPOST(portal)),
    post('/api/change-password/identity/start', emptyBodySchema, changePasswordIdentityPOST(portal), elevationStartLimit),
    get('/api/state', stateGET(portal)),
    get('/api/user/info', userInfoGET(portal)),
    post('/api/user/info/2fa_method', preferredMethodSchema, preferredMethodPOST(portal)),
    get('/api/user/sessions', userSessionsGET(portal)),
    post('/api/user/sessions/revoke', sessionIdSchema, userSessionRevokePOST(portal)),
    post('/api/user/sessions/revoke-others', emptyBodySchema, userSessionsRevokeOthersPOST(portal)),
    get('/api/secondfactor/webauthn/credentials', webauthnCredentialsGET(portal)),
    route({
      method: 'PUT',
      url: '/api/secondfactor/webauthn/credential/:credentialID',
      schema: { params: credentialParamsSchema, body: credentialDescriptionSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: webauthnCredentialPUT(portal),
    }),
    route({
      method: 'DELETE',
      url: '/api/secondfactor/webauthn/credential/:credentialID',
      schema: { params: credentialParamsSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: webauthnCredentialDELETE(portal),
    }),
    route({ method: 'DELETE', url: '/api/secondfactor/totp', preHandler: sameOrigin, onSend: headers, handler: totpDELETE(portal) }),
    post('/api/logout', logoutBodySchema, logoutPOST(portal)),
    post('/api/logout/everywhere', emptyBodySchema, logoutEverywherePOST(portal)),

    // OpenID Connect provider (oidc/): discovery, keys, authorization (GET and cross-site POST
    // by design), token, userinfo, introspection, revocation; the consent page is a portal page.
    ...(oidc ? oidcRows(oidc, portal, headers, sameOrigin) : []),
  ];
}

function oidcRows(oidc: OidcDeps, portal: PortalDeps, headers: onSendHookHandler, sameOrigin: preHandlerHookHandler): Route[] {
  const consent = consentPort(oidc);
  const apps = authorizedAppsPort(oidc);
  const logout = endSessionPort(oidc);
  const signOutRefused = endSessionErrorHandler(oidc.chrome);
  const c = oidc.config;
  const json = oauthJsonErrorHandler;
  const page = oauthPageErrorHandler(oidc.chrome);
  const noQuery = { querystring: noParameters };
  return [
    route({ method: ['GET', 'HEAD'], url: '/.well-known/openid-configuration', schema: noQuery, errorHandler: json, handler: discoveryGET(oidc) }),
    route({ method: ['GET', 'HEAD'], url: '/.well-known/oauth-authorization-server', schema: noQuery, errorHandler: json, handler: discoveryGET(oidc) }),
    route({ method: ['GET', 'HEAD'], url: '/jwks.json', schema: noQuery, errorHandler: json, handler: jwksGET(oidc) }),
    route({
      method: 'GET',
      url: '/api/oidc/authorization',
      schema: { querystring: authorizationParameters },
      errorHandler: page,
      handler: authorizationGET(oidc),
    }),
    route({ method: 'POST', url: '/api/oidc/authorization', schema: { body: authorizationForm }, errorHandler: page, handler: authorizationPOST(oidc) }),
    route({
      method: 'POST',
      url: '/api/oidc/token',
      schema: { headers: tokenHeaders, body: tokenForm },
      errorHandler: json,
      preValidation: formEncodedOnly,
      onSend: corsHeaders(c, 'token'),
      handler: tokenPOST(oidc),
    }),
    route({ method: 'OPTIONS', url: '/api/oidc/token', schema: { headers: preflightHeaders }, errorHandler: json, handler: corsPreflight(c, 'token') }),
    route({
      method: 'GET',
      url: '/api/oidc/userinfo',
      schema: { headers: userinfoHeaders },
      errorHandler: json,
      onSend: corsHeaders(c, 'userinfo'),
      handler: userinfoGET(oidc),
    }),
    route({
      method: 'POST',
      url: '/api/oidc/userinfo',
      schema: { headers: userinfoHeaders, body: userinfoForm },
      errorHandler: json,
      onSend: corsHeaders(c, 'userinfo'),
      handler: userinfoPOST(oidc),
    }),
    route({ method: 'OPTIONS', url: '/api/oidc/userinfo', schema: { headers: preflightHeaders }, errorHandler: json, handler: corsPreflight(c, 'userinfo') }),
    route({
      method: 'POST',
      url: '/api/oidc/introspection',
      schema: { headers: tokenHeaders, body: tokenCheckForm },
      errorHandler: json,
      preValidation: formBodyOnly('introspection'),
      onSend: corsHeaders(c, 'introspection'),
      handler: introspectionPOST(oidc),
    }),
    route({
      method: 'OPTIONS',
      url: '/api/oidc/introspection',
      schema: { headers: preflightHeaders },
      errorHandler: json,
      handler: corsPreflight(c, 'introspection'),
    }),
    route({
      method: 'POST',
      url: '/api/oidc/revocation',
      schema: { headers: tokenHeaders, body: tokenCheckForm },
      errorHandler: json,
      preValidation: formBodyOnly('revocation'),
      onSend: corsHeaders(c, 'revocation'),
      handler: revocationPOST(oidc),
    }),
    route({
      method: 'OPTIONS',
      url: '/api/oidc/revocation',
      schema: { headers: preflightHeaders },
      errorHandler: json,
      handler: corsPreflight(c, 'revocation'),
    }),
    route({
      method: 'GET',
      url: '/consent',
      schema: { querystring: consentQuerySchema },
      onSend: [headers, consentFormAction],
      handler: consentPageGET(portal, consent),
    }),
    route({
      method: 'POST',
      url: '/consent',
      schema: { body: consentFormSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: consentFormPOST(portal, consent),
    }),
    // RP-initiated logout (portal pages): GET and cross-site POST by design; the confirmation
    // form same-origin only. Every refusal is the error page, never a redirect.
    route({
      method: 'GET',
      url: endpoints.endSession,
      schema: { querystring: endSessionParameters },
      errorHandler: signOutRefused,
      onSend: [headers, signOutPolicy],
      handler: endSessionGET(portal, logout),
    }),
    route({
      method: 'POST',
      url: endpoints.endSession,
      schema: { body: endSessionForm },
      errorHandler: signOutRefused,
      onSend: [headers, signOutPolicy],
      handler: endSessionPOST(portal, logout),
    }),
    route({
      method: 'POST',
      url: endpoints.endSessionConfirm,
      schema: { body: endSessionParameters },
      preHandler: sameOrigin,
      errorHandler: signOutRefused,
      onSend: [headers, signOutPolicy],
      handler: endSessionConfirmPOST(portal, logout),
    }),
    // The apps the signed-in user authorised, and revoking their access (page and JSON API).
    route({ method: 'GET', url: '/consents', schema: { querystring: consentsQuerySchema }, onSend: headers, handler: consentsPageGET(portal, apps) }),
    route({
      method: 'POST',
      url: '/consents/revoke',
      schema: { body: revokeConsentSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: consentsRevokeFormPOST(portal, apps),
    }),
    route({ method: 'GET', url: '/api/oidc/consents', onSend: headers, handler: consentsGET(portal, apps) }),
    route({
      method: 'POST',
      url: '/api/oidc/consents/revoke',
      schema: { body: revokeConsentSchema },
      preHandler: sameOrigin,
      onSend: headers,
      handler: consentsRevokePOST(portal, apps),
    }),
  ];
}
