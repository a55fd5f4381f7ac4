/**
 * TOTP enrolment: the form pages (`/2fa/enroll…`) and the JSON API (Authelia's
 * `/api/secondfactor/totp/register` and Gatehouse's `/api/secondfactor/totp/identity/*`). Each
 * step needs a signed-in session that passes the elevation guard (actions/elevation.ts); the
 * first step e-mails the elevation code when the session has none. What each step enforces:
 * actions/enrolment.ts.
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import {
  type EnrolmentError,
  confirmEnrolment,
  enrolmentErrors,
  pendingEnrolment,
  prepareEnrolment,
  startEnrolment,
  verifyEnrolmentIdentity,
} from '../actions/enrolment.js';
import type { PortalDeps } from '../deps.js';
import { enrolIdentityPage, enrolSecretPage } from '../html/pages.js';
import { portalRequest } from '../request-context.js';
import { type Handler, type PageHandler, chrome, ko, own, sendPage } from './common.js';

export const codeFormSchema = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 64 })),
  token: Type.Optional(Type.String({ maxLength: 16 })),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
});

/** `POST /2fa/enroll/options`: the user's choice among `totp.allowed_*` (form fields are text). */
export const choiceFormSchema = Type.Object({
  algorithm: Type.Optional(Type.String({ maxLength: 16 })),
  digits: Type.Optional(Type.String({ maxLength: 4 })),
  period: Type.Optional(Type.String({ maxLength: 8 })),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
});

/** Authelia's `PUT /api/secondfactor/totp/register {algorithm, length, period}`. */
export const choiceBodySchema = Type.Object({
  algorithm: Type.Optional(Type.String({ maxLength: 16 })),
  length: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  period: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
});

/** `POST /api/secondfactor/totp/identity/start` reads no field, but its body must be an object. */
export const emptyBodySchema = Type.Object({});

type CodeFormHandler = Handler<{ body: typeof codeFormSchema }>;

function failPage(deps: PortalDeps, reply: FastifyReply, error: EnrolmentError, rd: string | undefined) {
  if (error === 'not-authenticated')
    return reply
      .status(303)
      .header('location', own(deps, '/', rd))
      .send();
  const { status, message } = enrolmentErrors[error];
  return sendPage(reply, status, enrolIdentityPage(chrome(deps), { sentTo: undefined, rd, error: message }));
}

function failJson(reply: FastifyReply, error: EnrolmentError) {
  const { status, message } = enrolmentErrors[error];
  return ko(reply, status, message);
}

const numberOf = (text: string | undefined) => (text === undefined || text === '' ? undefined : Number(text));

/** `POST /2fa/enroll/start`: e-mails the elevation code and shows where to type it, or (already elevated) goes to the secret. */
export function enrolStartFormPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { rd } = request.body;
    const result = await startEnrolment(deps, await portalRequest(deps, request));
    if (!result.ok) return failPage(deps, reply, result.error, rd);
    if ('ready' in result)
      return reply
        .status(303)
        .header('location', own(deps, '/2fa/enroll', rd))
        .send();
    return sendPage(reply, 200, enrolIdentityPage(chrome(deps), { sentTo: result.sentTo, rd }));
  };
}

/** `POST /2fa/enroll/verify`: checks the e-mailed code, then shows the new secret. */
export function enrolVerifyFormPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { code = '', rd } = request.body;
    const result = await verifyEnrolmentIdentity(deps, await portalRequest(deps, request), code);
    if (!result.ok) return failPage(deps, reply, result.error, rd);
    return reply
      .status(303)
      .header('location', own(deps, '/2fa/enroll', rd))
      .send();
  };
}

/** `POST /2fa/enroll/options`: a new secret with the algorithm, digits and period the user chose. */
export function enrolOptionsFormPOST(deps: PortalDeps): Handler<{ body: typeof choiceFormSchema }> {
  return async (request, reply) => {
    const { algorithm, digits, period, rd } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await prepareEnrolment(deps, ctx, { algorithm, digits: numberOf(digits), period: numberOf(period) });
    if (result.ok)
      return reply
        .status(303)
        .header('location', own(deps, '/2fa/enroll', rd))
        .send();
    const pending = result.error === 'not-allowed' ? await pendingEnrolment(deps, ctx) : undefined;
    if (!pending) return failPage(deps, reply, result.error, rd);
    return sendPage(reply, 400, enrolSecretPage(chrome(deps), { ...pending, rd, error: enrolmentErrors['not-allowed'].message }));
  };
}

/** `GET /2fa/enroll`: the secret and QR code once the identity check passed, else the code form. */
export function enrolPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const { rd } = request.query;
    const ctx = await portalRequest(deps, request);
    if (!ctx.session || ctx.session.state.username === '')
      return reply
        .status(302)
        .header('location', own(deps, '/', rd))
        .send();
    const pending = await pendingEnrolment(deps, ctx);
    if (!pending) return sendPage(reply, 200, enrolIdentityPage(chrome(deps), { sentTo: undefined, rd }));
    return sendPage(reply, 200, enrolSecretPage(chrome(deps), { ...pending, rd }));
  };
}

/** `POST /2fa/enroll/confirm`: a valid code from the new app saves it and completes the second factor. */
export function enrolConfirmFormPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { token = '', rd } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await confirmEnrolment(deps, ctx, token);
    if (result.ok) {
      void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
      return reply
        .status(303)
        .header('location', own(deps, '/2fa', rd))
        .send();
    }
    const pending = result.error === 'wrong-code' ? await pendingEnrolment(deps, ctx) : undefined;
    if (!pending) return failPage(deps, reply, result.error, rd);
    return sendPage(reply, 401, enrolSecretPage(chrome(deps), { ...pending, rd, error: enrolmentErrors['wrong-code'].message }));
  };
}

/** `POST /api/secondfactor/totp/identity/start`: `{sentTo, delete_id}` when a code was e-mailed, `{ready: true}` when the session was already elevated. */
export function enrolStartPOST(deps: PortalDeps): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const result = await startEnrolment(deps, await portalRequest(deps, request));
    if (!result.ok) return failJson(reply, result.error);
    if ('ready' in result) return reply.send({ status: 'OK', data: { ready: true } });
    return reply.send({ status: 'OK', data: { sentTo: result.sentTo, delete_id: result.revocationId } });
  };
}

/** `POST /api/secondfactor/totp/identity/finish {code}`: elevates the session and prepares a secret with the configured settings. */
export function enrolVerifyPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { code = '' } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await verifyEnrolmentIdentity(deps, ctx, code);
    if (!result.ok) return failJson(reply, result.error);
    const pending = await pendingEnrolment(deps, ctx);
    return reply.send({ status: 'OK', data: { secret: pending?.secret, uri: pending?.uri } });
  };
}

/** `GET /api/secondfactor/totp/register`: Authelia's options — the defaults and what may be chosen. */
export function enrolOptionsGET(deps: PortalDeps): Handler {
  return async (_request, reply) => {
    if (!deps.totp) return failJson(reply, 'totp-disabled');
    const { algorithms, digits, periods } = deps.totp.options;
    const data = { algorithm: algorithms[0], algorithms, length: digits[0], lengths: digits, period: periods[0], periods };
    return reply.send({ status: 'OK', data });
  };
}

/** `PUT /api/secondfactor/totp/register {algorithm, length, period}`: a new pending secret with the user's choice (elevated sessions only). */
export function enrolOptionsPUT(deps: PortalDeps): Handler<{ body: typeof choiceBodySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const { algorithm, length, period } = request.body;
    const result = await prepareEnrolment(deps, ctx, { algorithm, digits: length, period });
    if (!result.ok) return failJson(reply, result.error);
    const pending = await pendingEnrolment(deps, ctx);
    return reply.send({ status: 'OK', data: { base32_secret: pending?.secret, otpauth_url: pending?.uri } });
  };
}

/** `POST /api/secondfactor/totp/register {token}`: a valid code from the new app saves it. */
export function enrolConfirmPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { token = '' } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await confirmEnrolment(deps, ctx, token);
    if (!result.ok) return failJson(reply, result.error);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send({ status: 'OK' });
  };
}
