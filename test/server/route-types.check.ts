/**
 * Compile-time checks of the typed HTTP edge, run by `tsc --noEmit -p .` (`npm run lint`), never
 * executed: a route row must pair a handler with the very schema that types its request, and a
 * handler typed by a schema cannot be registered without it. Each `@ts-expect-error` fails the
 * type check if the compiler ever accepts the line below it.
 */
import type { OidcDeps } from '../../src/oidc/deps.js';
import { tokenForm, tokenHeaders, userinfoForm } from '../../src/oidc/schemas.js';
import { tokenPOST } from '../../src/oidc/token.js';
import type { PortalDeps } from '../../src/portal/deps.js';
import { targetQuerySchema } from '../../src/portal/handlers/common.js';
import { loginFormPOST, loginFormSchema, loginPageGET } from '../../src/portal/handlers/first-factor.js';
import { totpFormSchema } from '../../src/portal/handlers/second-factor.js';
import { stateGET } from '../../src/portal/handlers/session.js';
import { route } from '../../src/server/routes.js';

export function pairings(portal: PortalDeps, oidc: OidcDeps): void {
  // Accepted: each handler with its own schema, and a handler that reads nothing without one.
  route({ method: 'POST', url: '/login', schema: { body: loginFormSchema }, handler: loginFormPOST(portal) });
  route({ method: 'GET', url: '/', schema: { querystring: targetQuerySchema }, handler: loginPageGET(portal) });
  route({ method: 'POST', url: '/api/oidc/token', schema: { headers: tokenHeaders, body: tokenForm }, handler: tokenPOST(oidc) });
  route({ method: 'GET', url: '/api/state', handler: stateGET(portal) });

  // @ts-expect-error the login form's handler reads fields the one-time-code form does not declare
  route({ method: 'POST', url: '/login', schema: { body: totpFormSchema }, handler: loginFormPOST(portal) });
  // @ts-expect-error a page handler registered without the query schema it reads
  route({ method: 'GET', url: '/', handler: loginPageGET(portal) });
  // @ts-expect-error the token handler's body is the token form, not the userinfo form
  route({ method: 'POST', url: '/api/oidc/token', schema: { headers: tokenHeaders, body: userinfoForm }, handler: tokenPOST(oidc) });
}
