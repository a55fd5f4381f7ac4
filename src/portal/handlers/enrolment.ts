import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import {
  type EnrolmentError,
  confirmEnrolment,
  enrolmentErrorMessages,
  pendingEnrolment,
  startEnrolment,
  verifyEnrolmentIdentity,
} from '../actions/enrolment.js';
import type { PortalDeps } from '../deps.js';
import { enrolIdentityPage, enrolSecretPage } from '../html/pages.js';
import { portalRequest } from '../request-context.js';
import { type Handler, type PageHandler, chrome, ko, sendPage, withTarget } from './common.js';

const errorStatus: Record<EnrolmentError, number> = {
  'not-authenticated': 401,
  'needs-second-factor': 403,
  'no-email': 409,
  'wrong-code': 401,
  'no-enrolment': 409,
  'totp-disabled': 404,
  'no-notifier': 409,
};

export const codeFormSchema = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 64 })),
  token: Type.Optional(Type.String({ maxLength: 16 })),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
});

/** `POST /api/secondfactor/totp/identity/start` reads no field, but its body must be an object. */
export const emptyBodySchema = Type.Object({});

type CodeFormHandler = Handler<{ body: typeof codeFormSchema }>;

function failPage(deps: PortalDeps, reply: FastifyReply, error: EnrolmentError, rd: string | undefined) {
  if (error === 'not-authenticated') return reply.status(303).header('location', withTarget('/', rd)).send();
  return sendPage(reply, errorStatus[error], enrolIdentityPage(chrome(deps), { sentTo: undefined, rd, error: enrolmentErrorMessages[error] }));
}

/** `POST /2fa/enroll/start`: e-mails the identity-check code, shows where to type it. */
export function enrolStartFormPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { rd } = request.body;
    const result = await startEnrolment(deps, await portalRequest(deps, request));
    if (!result.ok) return failPage(deps, reply, result.error, rd);
    return sendPage(reply, 200, enrolIdentityPage(chrome(deps), { sentTo: result.sentTo, rd }));
  };
}

/** `POST /2fa/enroll/verify`: checks the e-mailed code, then shows the new secret. */
export function enrolVerifyFormPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { code = '', rd } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await verifyEnrolmentIdentity(deps, ctx, code);
    if (!result.ok) return failPage(deps, reply, result.error, rd);
    return reply.status(303).header('location', withTarget('/2fa/enroll', rd)).send();
  };
}

/** `GET /2fa/enroll`: the secret and QR code once the identity check passed, else the code form. */
export function enrolPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const { rd } = request.query;
    const ctx = await portalRequest(deps, request);
    if (!ctx.session || ctx.session.state.username === '') return reply.status(302).header('location', withTarget('/', rd)).send();
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
      return reply.status(303).header('location', withTarget('/2fa', rd)).send();
    }
    const pending = result.error === 'wrong-code' ? await pendingEnrolment(deps, ctx) : undefined;
    if (!pending) return failPage(deps, reply, result.error, rd);
    return sendPage(reply, 401, enrolSecretPage(chrome(deps), { ...pending, rd, error: enrolmentErrorMessages['wrong-code'] }));
  };
}

/** JSON equivalents for scripts and the enhanced pages. */
export function enrolStartPOST(deps: PortalDeps): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const result = await startEnrolment(deps, await portalRequest(deps, request));
    if (!result.ok) return ko(reply, errorStatus[result.error], enrolmentErrorMessages[result.error]);
    return reply.send({ status: 'OK', data: { sentTo: result.sentTo } });
  };
}

export function enrolVerifyPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { code = '' } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await verifyEnrolmentIdentity(deps, ctx, code);
    if (!result.ok) return ko(reply, errorStatus[result.error], enrolmentErrorMessages[result.error]);
    const pending = await pendingEnrolment(deps, ctx);
    return reply.send({ status: 'OK', data: { secret: pending?.secret, uri: pending?.uri } });
  };
}

export function enrolConfirmPOST(deps: PortalDeps): CodeFormHandler {
  return async (request, reply) => {
    const { token = '' } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await confirmEnrolment(deps, ctx, token);
    if (!result.ok) return ko(reply, errorStatus[result.error], enrolmentErrorMessages[result.error]);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send({ status: 'OK' });
  };
}
