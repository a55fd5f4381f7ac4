/**
 * The settings page (`GET /settings`) and its forms. Each form posts here, is guarded against
 * cross-site requests by the route table, and answers 303 back to `/settings?done=…` (shown as a
 * notice), or the page with the error and its status (400, 403, 404, 409). A visitor who is not
 * signed in signs in first and comes back. What each action enforces: actions/settings.ts.
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AuthorizedAppsPort } from '../../oidc/authorized-apps.js';
import type { SessionState } from '../../session/session.js';
import {
  type SettingsResult,
  choosePreferredMethod,
  endOtherSessions,
  endSession,
  mayChangeSecondFactors,
  preferredMethodOf,
  removeCredential,
  removeTotp,
  renameCredential,
  secondFactorsOf,
  sessionsOf,
  settingsErrors,
} from '../actions/settings.js';
import type { PortalDeps } from '../deps.js';
import { settingsPage } from '../html/settings-page.js';
import { type PortalRequest, portalRequest, userOf } from '../request-context.js';
import { type Handler, chrome, own, sendPage } from './common.js';
import type { revokeConsentSchema } from './consents.js';
import type { emptyBodySchema } from './enrolment.js';

/** What `?done=` names after a form succeeded, and the notice it shows. */
const notices = new Map([
  ['totp-added', 'Your authenticator app is set up: its codes are now a second factor.'],
  ['webauthn-added', 'Your key was added: it is now a second factor.'],
  ['totp-removed', 'Your authenticator app was removed.'],
  ['key-renamed', 'The key was renamed.'],
  ['key-removed', 'The key was removed.'],
  ['method-saved', 'Your preferred second factor was saved.'],
  ['session-ended', 'That session was signed out.'],
  ['others-ended', 'Your other sessions were signed out.'],
  ['app-revoked', 'The app’s access was revoked: its tokens no longer work, and it will ask for your consent again.'],
]);

export const settingsQuerySchema = Type.Object({ done: Type.Optional(Type.String({ maxLength: 32 })) });

const idSchema = Type.String({ minLength: 1, maxLength: 1024 });
export const credentialFormSchema = Type.Object({ id: idSchema });
export const renameFormSchema = Type.Object({ id: idSchema, description: Type.String({ maxLength: 1024 }) });
export const methodFormSchema = Type.Object({ method: Type.String({ maxLength: 32 }) });
export const sessionFormSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** `GET /settings`. */
export function settingsPageGET(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ querystring: typeof settingsQuerySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state || !ctx.session) return toSignIn(deps, reply, ctx, 302);
    await deps.sessions.touch(ctx.cookie, ctx.session);
    return sendPage(reply, 200, await render(deps, ctx, state, apps, { notice: notices.get(request.query.done ?? '') }));
  };
}

/** `POST /settings/totp/remove`. */
export function removeTotpFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return answer(deps, reply, ctx, apps, await removeTotp(deps, ctx), 'totp-removed');
  };
}

/** `POST /settings/webauthn/rename {id, description}`. */
export function renameCredentialFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof renameFormSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return answer(deps, reply, ctx, apps, await renameCredential(deps, ctx, request.body.id, request.body.description), 'key-renamed');
  };
}

/** `POST /settings/webauthn/remove {id}`. */
export function removeCredentialFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof credentialFormSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return answer(deps, reply, ctx, apps, await removeCredential(deps, ctx, request.body.id), 'key-removed');
  };
}

/** `POST /settings/method {method}`. */
export function preferredMethodFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof methodFormSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return answer(deps, reply, ctx, apps, await choosePreferredMethod(deps, ctx, request.body.method), 'method-saved');
  };
}

/** `POST /settings/sessions/end {id}`: signs out another of the user's sessions. */
export function endSessionFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof sessionFormSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return answer(deps, reply, ctx, apps, await endSession(deps, ctx, request.body.id), 'session-ended');
  };
}

/** `POST /settings/sessions/end-others`: signs out every session of the user but this one. */
export function endOtherSessionsFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return answer(deps, reply, ctx, apps, await endOtherSessions(deps, ctx), 'others-ended');
  };
}

/**
 * `POST /settings/apps/revoke {client_id}`: what `POST /consents/revoke` does (every grant of
 * the app for the user revoked with its tokens, remembered consents forgotten), back to
 * `/settings`. 404 when the OpenID Connect provider does not run.
 */
export function revokeAppFormPOST(deps: PortalDeps, apps?: AuthorizedAppsPort): Handler<{ body: typeof revokeConsentSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return toSignIn(deps, reply, ctx, 303);
    if (!apps) return sendPage(reply, 404, await render(deps, ctx, state, apps, { error: 'No app can sign in with this server.' }));
    await apps.revoke(state.username, request.body.client_id);
    return reply.status(303).header('location', own(deps, '/settings?done=app-revoked')).send();
  };
}

async function answer(
  deps: PortalDeps,
  reply: FastifyReply,
  ctx: PortalRequest,
  apps: AuthorizedAppsPort | undefined,
  result: SettingsResult<unknown>,
  done: string,
): Promise<FastifyReply> {
  const state = userOf(ctx.session);
  if (result.ok)
    return reply
      .status(303)
      .header('location', own(deps, `/settings?done=${done}`))
      .send();
  if (result.error === 'not-authenticated' || !state) return toSignIn(deps, reply, ctx, 303);
  const { status, message } = settingsErrors[result.error];
  return sendPage(reply, status, await render(deps, ctx, state, apps, { error: message }));
}

function toSignIn(deps: PortalDeps, reply: FastifyReply, ctx: PortalRequest, status: 302 | 303): FastifyReply {
  return reply
    .status(status)
    .header('location', own(deps, '/', `${ctx.root}/settings`))
    .send();
}

async function render(
  deps: PortalDeps,
  ctx: PortalRequest,
  state: SessionState,
  apps: AuthorizedAppsPort | undefined,
  messages: { notice?: string | undefined; error?: string | undefined },
): Promise<string> {
  const { username } = state;
  const factors = await secondFactorsOf(deps, username);
  const [preferred, sessions, authorized] = await Promise.all([
    preferredMethodOf(deps, username, factors.methods),
    sessionsOf(deps, username, ctx.session?.idHash),
    apps?.list(username),
  ]);
  return settingsPage(chrome(deps), {
    username,
    displayName: state.displayName || username,
    root: ctx.root,
    base: deps.basePath,
    passwordChange: deps.passwords !== undefined && deps.passwordChange,
    totp: { enabled: deps.totp !== undefined, present: factors.totp },
    webauthn: { enabled: deps.webauthn !== undefined, credentials: factors.credentials },
    methods: factors.methods,
    preferred,
    mayChange: mayChangeSecondFactors(state, factors),
    sessions,
    apps: authorized,
    showDomains: deps.cookies.length > 1,
    ...messages,
  });
}
