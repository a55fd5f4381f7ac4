import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { type ResetError, checkResetLink, finishPasswordReset, resetMessage, resetStartedMessage, startPasswordReset } from '../actions/password-reset.js';
import type { PortalDeps } from '../deps.js';
import { messagePage, newPasswordPage, resetRequestPage } from '../html/pages.js';
import { portalRequest } from '../request-context.js';
import { type Handler, chrome, ko, meta, sendPage } from './common.js';

/**
 * "Forgot password?": `/reset-password` (form) and `/api/reset-password/identity/start` (JSON) e-mail
 * a single-use link; `/reset-password/step2` (form) and `/api/reset-password` (JSON) set the new
 * password. Every POST is same-origin only (route table). See actions/password-reset.ts.
 */
const errorStatus: Record<ResetError, number> = {
  disabled: 404,
  'too-many': 429,
  'invalid-link': 400,
  mismatch: 400,
  policy: 400,
  'write-failed': 500,
};

export const resetStartSchema = Type.Object({ username: Type.String({ maxLength: 256 }) });
export const resetLinkQuerySchema = Type.Object({ token: Type.Optional(Type.String({ maxLength: 1024 })) });
export const resetLinkSchema = Type.Object({ token: Type.String({ maxLength: 1024 }) });
export const newPasswordFormSchema = Type.Object({
  token: Type.String({ maxLength: 1024 }),
  password: Type.String({ maxLength: 1024 }),
  confirmation: Type.String({ maxLength: 1024 }),
});
export const newPasswordSchema = Type.Object({
  token: Type.String({ maxLength: 1024 }),
  password: Type.String({ maxLength: 1024 }),
});

function notAvailable(deps: PortalDeps, reply: FastifyReply) {
  return sendPage(reply, 404, messagePage(chrome(deps), 'Reset your password', resetMessage('disabled')));
}

/** `GET /reset-password`: the username form. */
export function resetRequestPageGET(deps: PortalDeps): Handler {
  return async (_request, reply) => {
    if (!deps.passwordReset) return notAvailable(deps, reply);
    return sendPage(reply, 200, resetRequestPage(chrome(deps), {}));
  };
}

/** `POST /reset-password`: the same answer whether the account exists or not. */
export function resetRequestFormPOST(deps: PortalDeps): Handler<{ body: typeof resetStartSchema }> {
  return async (request, reply) => {
    const result = await startPasswordReset(deps, await portalRequest(deps, request), request.body.username, meta(request).ip);
    if (!result.ok && result.error === 'disabled') return notAvailable(deps, reply);
    if (!result.ok) return sendPage(reply, errorStatus[result.error], resetRequestPage(chrome(deps), { error: resetMessage(result.error) }));
    return sendPage(reply, 200, resetRequestPage(chrome(deps), { notice: resetStartedMessage }));
  };
}

/** `GET /reset-password/step2?token=…`: the new-password form (the token is not used up yet). */
export function newPasswordPageGET(deps: PortalDeps): Handler<{ querystring: typeof resetLinkQuerySchema }> {
  return async (request, reply) => {
    const token = request.query.token ?? '';
    const result = await checkResetLink(deps, token);
    if (!result.ok && result.error === 'disabled') return notAvailable(deps, reply);
    if (!result.ok) return sendPage(reply, 400, messagePage(chrome(deps), 'Reset your password', resetMessage(result.error)));
    return sendPage(reply, 200, newPasswordPage(chrome(deps), { token, policy: deps.passwords?.policyText }));
  };
}

/** `POST /reset-password/step2`: sets the password; the form again when it is refused, else a result page. */
export function newPasswordFormPOST(deps: PortalDeps): Handler<{ body: typeof newPasswordFormSchema }> {
  return async (request, reply) => {
    const { token, password, confirmation } = request.body;
    const result = await finishPasswordReset(deps, { token, password, confirmation, ip: meta(request).ip });
    if (result.ok) {
      return sendPage(
        reply,
        200,
        messagePage(chrome(deps), 'Password changed', 'Your password was changed and every session was signed out. Sign in with the new password.'),
      );
    }
    if (result.error === 'disabled') return notAvailable(deps, reply);
    const message = resetMessage(result.error, result.reasons);
    if (result.error === 'mismatch' || result.error === 'policy') {
      return sendPage(reply, 400, newPasswordPage(chrome(deps), { token, policy: deps.passwords?.policyText, error: message }));
    }
    const title = result.error === 'write-failed' ? 'Password not changed' : 'Reset your password';
    return sendPage(reply, errorStatus[result.error], messagePage(chrome(deps), title, message));
  };
}

/** `POST /api/reset-password/identity/start` `{username}`: always `{"status":"OK"}` (but 404 when off, 429 per IP). */
export function resetStartPOST(deps: PortalDeps): Handler<{ body: typeof resetStartSchema }> {
  return async (request, reply) => {
    const result = await startPasswordReset(deps, await portalRequest(deps, request), request.body.username, meta(request).ip);
    if (!result.ok) return ko(reply, errorStatus[result.error], resetMessage(result.error));
    return reply.send({ status: 'OK' });
  };
}

/** `POST /api/reset-password/identity/finish` `{token}`: whether the link is still valid; it is not used up. */
export function resetCheckPOST(deps: PortalDeps): Handler<{ body: typeof resetLinkSchema }> {
  return async (request, reply) => {
    const result = await checkResetLink(deps, request.body.token);
    if (!result.ok) return ko(reply, errorStatus[result.error], resetMessage(result.error));
    return reply.send({ status: 'OK' });
  };
}

/** `POST /api/reset-password` `{token, password}`: sets the password (one step; Authelia keeps the token in the session instead). */
export function resetPasswordPOST(deps: PortalDeps): Handler<{ body: typeof newPasswordSchema }> {
  return async (request, reply) => {
    const { token, password } = request.body;
    const result = await finishPasswordReset(deps, { token, password, confirmation: password, ip: meta(request).ip });
    if (!result.ok) return ko(reply, errorStatus[result.error], resetMessage(result.error, result.reasons));
    return reply.send({ status: 'OK' });
  };
}
