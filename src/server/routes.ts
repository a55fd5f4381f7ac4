import type { RouteOptions } from 'fastify';
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
import {
  authenticatedPageGET,
  logoutBodySchema,
  logoutFormPOST,
  logoutPOST,
  logoutPageGET,
  stateGET,
  userInfoGET,
} from '../portal/handlers/session.js';
import { staticGET } from '../portal/handlers/static.js';
import { healthGET } from './health.js';

export interface RouteDeps {
  readonly portal: PortalDeps;
}

/**
 * Every route the gateway serves, in one table: method, path, guards, input schema, handler.
 * Portal rows carry the portal's security headers (`onSend`); every state-changing portal row
 * is guarded against cross-site requests (`preHandler: sameOrigin`).
 */
export function routeTable({ portal }: RouteDeps): RouteOptions[] {
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

  return [
    { method: ['GET', 'HEAD'], url: '/api/health', handler: healthGET },

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
  ];
}
