/**
 * The applications a signed-in user gave access to their account (OpenID Connect grants and
 * remembered consents), and revoking that access: every grant of the client for the user is
 * revoked with all its tokens (refresh tokens included) and remembered consents are forgotten.
 * The page and its form (`GET /consents`, `POST /consents/revoke`), and the JSON API
 * (`GET /api/oidc/consents`, `POST /api/oidc/consents/revoke`) with Authelia's `{status}` bodies.
 * The POST routes are guarded against cross-site requests like every portal form.
 */
import { Type } from 'typebox';
import type { AuthorizedApp, AuthorizedAppsPort } from '../../oidc/authorized-apps.js';
import { notAuthenticated } from '../actions/messages.js';
import type { PortalDeps } from '../deps.js';
import { consentsPage } from '../html/consents-page.js';
import { portalRequest, userOf } from '../request-context.js';
import { type Handler, chrome, own, ko, sendPage } from './common.js';

const clientIdSchema = Type.String({ minLength: 1, maxLength: 256 });

/** `GET /consents`: `revoked` names the client whose access was just revoked (after the form's redirect). */
export const consentsQuerySchema = Type.Object({ revoked: Type.Optional(clientIdSchema) });

/** The revoke form and the JSON body alike. */
export const revokeConsentSchema = Type.Object({ client_id: clientIdSchema });

/** `GET /consents`: the page; a visitor who is not signed in signs in first and comes back. */
export function consentsPageGET(deps: PortalDeps, apps: AuthorizedAppsPort): Handler<{ querystring: typeof consentsQuerySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state || !ctx.session)
      return reply
        .status(302)
        .header('location', own(deps, '/', `${ctx.root}/consents`))
        .send();
    await deps.sessions.touch(ctx.cookie, ctx.session);
    const list = await apps.list(state.username);
    return sendPage(reply, 200, consentsPage(chrome(deps), { username: state.username, apps: list, revoked: request.query.revoked }));
  };
}

/** `POST /consents/revoke`: revokes the client's access, then back to the page (303). */
export function consentsRevokeFormPOST(deps: PortalDeps, apps: AuthorizedAppsPort): Handler<{ body: typeof revokeConsentSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return reply.status(303).header('location', own(deps, '/')).send();
    const clientId = request.body.client_id;
    await apps.revoke(state.username, clientId);
    return reply
      .status(303)
      .header('location', own(deps, `/consents?revoked=${encodeURIComponent(clientId)}`))
      .send();
  };
}

/** `GET /api/oidc/consents`: `{status: 'OK', data: [app…]}`, or 401 KO when not signed in. */
export function consentsGET(deps: PortalDeps, apps: AuthorizedAppsPort): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return ko(reply, 401, notAuthenticated);
    return reply.send({ status: 'OK', data: (await apps.list(state.username)).map(appJson) });
  };
}

/** `POST /api/oidc/consents/revoke {client_id}`: `{status: 'OK', data: {grants, consents}}` (how many were revoked). */
export function consentsRevokePOST(deps: PortalDeps, apps: AuthorizedAppsPort): Handler<{ body: typeof revokeConsentSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return ko(reply, 401, notAuthenticated);
    return reply.send({ status: 'OK', data: await apps.revoke(state.username, request.body.client_id) });
  };
}

function appJson(app: AuthorizedApp) {
  return {
    client_id: app.clientId,
    client_name: app.clientName,
    scopes: app.scopes,
    authorized_at: new Date(app.authorizedAt).toISOString(),
    offline_access: app.offline,
    remembered_until: app.rememberedUntil === undefined ? null : new Date(app.rememberedUntil).toISOString(),
  };
}
