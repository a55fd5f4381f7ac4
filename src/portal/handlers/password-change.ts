import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { type ChangeError, changeMessage, changePassword, startPasswordChangeIdentity } from '../actions/password-change.js';
import type { PortalDeps } from '../deps.js';
import { type PasswordChangePageOptions, passwordChangeMessagePage, passwordChangePage, passwordChangedPage } from '../html/password-change-page.js';
import { type PortalRequest, portalRequest, userOf } from '../request-context.js';
import { type Handler, chrome, own, ko, meta, sendPage } from './common.js';
import type { emptyBodySchema } from './enrolment.js';

/**
 * Password change for a signed-in user: the page `GET /settings/password` and its forms
 * (`POST /settings/password`, `POST /settings/password/identity` to be sent a code instead of
 * typing the current password); the JSON API `POST /api/change-password` (Authelia's path and
 * fields) and `POST /api/change-password/identity/start`. Every POST is same-origin only (route
 * table). See actions/password-change.ts.
 */
const errorStatus: Record<ChangeError, number> = {
  disabled: 404,
  'not-authenticated': 401,
  'wrong-user': 403,
  'no-proof': 400,
  'wrong-password': 401,
  'wrong-code': 401,
  'no-email': 409,
  'no-notifier': 409,
  mismatch: 400,
  'same-password': 400,
  policy: 400,
  'write-failed': 500,
};

const secret = Type.String({ maxLength: 1024 });

/** The form: the current password or the e-mailed code, the new password twice. */
export const passwordChangeFormSchema = Type.Object({
  current_password: Type.Optional(secret),
  code: Type.Optional(Type.String({ maxLength: 64 })),
  password: secret,
  confirmation: secret,
});

/**
 * Authelia's body (`username`, `old_password`, `new_password`; the username is optional and must be
 * the signed-in user's) plus `one_time_code`, the e-mailed code standing in for `old_password`.
 */
export const changePasswordSchema = Type.Object({
  username: Type.Optional(Type.String({ maxLength: 256 })),
  old_password: Type.Optional(secret),
  one_time_code: Type.Optional(Type.String({ maxLength: 64 })),
  new_password: secret,
});

const here = '/settings/password';

function notAvailable(deps: PortalDeps, reply: FastifyReply) {
  const message = changeMessage('disabled');
  return sendPage(
    reply,
    404,
    passwordChangeMessagePage(chrome(deps), { title: 'Change your password', message, link: { href: own(deps, '/settings'), text: 'Back to your settings' } }),
  );
}

/** Sign in first, then back here. */
function signInFirst(deps: PortalDeps, reply: FastifyReply, ctx: PortalRequest, status: 302 | 303) {
  return reply
    .status(status)
    .header('location', own(deps, '/', `${ctx.root}${here}`))
    .send();
}

/** The form as a signed-in user sees it; the code is offered when one can be sent. */
function formOptions(deps: PortalDeps, ctx: PortalRequest, proof: PasswordChangePageOptions['proof'] | 'password', error?: string): PasswordChangePageOptions {
  const state = userOf(ctx.session);
  const codeOffered = deps.notifier !== undefined && (state?.emails.length ?? 0) > 0;
  return {
    username: state?.username ?? '',
    policy: deps.passwords?.policyText,
    proof: proof === 'password' ? { kind: 'password', codeOffered } : proof,
    error,
  };
}

/** `GET /settings/password`: the form; a visitor who is not signed in signs in first and comes back. */
export function passwordChangePageGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    if (!deps.passwords || !deps.passwordChange) return notAvailable(deps, reply);
    const ctx = await portalRequest(deps, request);
    if (!userOf(ctx.session) || !ctx.session) return signInFirst(deps, reply, ctx, 302);
    await deps.sessions.touch(ctx.cookie, ctx.session);
    return sendPage(reply, 200, passwordChangePage(chrome(deps), formOptions(deps, ctx, 'password')));
  };
}

/** `POST /settings/password`: the confirmation page, or the form again with what was wrong. */
export function passwordChangeFormPOST(deps: PortalDeps): Handler<{ body: typeof passwordChangeFormSchema }> {
  return async (request, reply) => {
    const { current_password: currentPassword, code, password, confirmation } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await changePassword(deps, ctx, { currentPassword, identityCode: code, password, confirmation }, meta(request));
    if (result.ok) {
      void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
      return sendPage(reply, 200, passwordChangedPage(chrome(deps)));
    }
    const { error } = result;
    if (error === 'disabled') return notAvailable(deps, reply);
    if (error === 'not-authenticated') return signInFirst(deps, reply, ctx, 303);
    const message = changeMessage(error, result.reasons);
    if (error === 'write-failed') {
      const link = { href: here, text: 'Try again' };
      return sendPage(reply, errorStatus[error], passwordChangeMessagePage(chrome(deps), { title: 'Password not changed', message, link }));
    }
    // The form comes back the way it was sent: with the code field when a code was typed.
    const proof = code === undefined ? 'password' : ({ kind: 'code', sentTo: undefined } as const);
    return sendPage(reply, errorStatus[error], passwordChangePage(chrome(deps), formOptions(deps, ctx, proof, message)));
  };
}

/** `POST /settings/password/identity`: e-mails a code and shows the form with a code field in place of the current password. */
export function passwordChangeIdentityFormPOST(deps: PortalDeps): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const result = await startPasswordChangeIdentity(deps, ctx, meta(request));
    if (result.ok) return sendPage(reply, 200, passwordChangePage(chrome(deps), formOptions(deps, ctx, { kind: 'code', sentTo: result.sentTo })));
    if (result.error === 'disabled') return notAvailable(deps, reply);
    if (result.error === 'not-authenticated') return signInFirst(deps, reply, ctx, 303);
    return sendPage(reply, errorStatus[result.error], passwordChangePage(chrome(deps), formOptions(deps, ctx, 'password', changeMessage(result.error))));
  };
}

/** `POST /api/change-password`: `{"status":"OK"}` with the session's new cookie, or KO with the reason. */
export function changePasswordPOST(deps: PortalDeps): Handler<{ body: typeof changePasswordSchema }> {
  return async (request, reply) => {
    const { username, old_password: currentPassword, one_time_code: identityCode, new_password: password } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await changePassword(deps, ctx, { username, currentPassword, identityCode, password, confirmation: password }, meta(request));
    if (!result.ok) return ko(reply, errorStatus[result.error], changeMessage(result.error, result.reasons));
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send({ status: 'OK' });
  };
}

/** `POST /api/change-password/identity/start`: e-mails the code; `{"status":"OK","data":{"sentTo":"j•••@example.com"}}`. */
export function changePasswordIdentityPOST(deps: PortalDeps): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const result = await startPasswordChangeIdentity(deps, await portalRequest(deps, request), meta(request));
    if (!result.ok) return ko(reply, errorStatus[result.error], changeMessage(result.error));
    return reply.send({ status: 'OK', data: { sentTo: result.sentTo } });
  };
}
