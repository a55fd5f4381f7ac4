import type { FastifyReply, RouteHandlerMethod } from 'fastify';
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
import { type TargetQuery, chrome, ko, sendPage, withTarget } from './common.js';

const errorStatus: Record<EnrolmentError, number> = {
  'not-authenticated': 401,
  'needs-second-factor': 403,
  'no-email': 409,
  'wrong-code': 401,
  'no-enrolment': 409,
  'totp-disabled': 404,
  'no-notifier': 409,
};

export const codeFormSchema = {
  type: 'object',
  properties: { code: { type: 'string', maxLength: 64 }, token: { type: 'string', maxLength: 16 }, rd: { type: 'string', maxLength: 8192 } },
} as const;

function failPage(deps: PortalDeps, reply: FastifyReply, error: EnrolmentError, rd: string | undefined) {
  if (error === 'not-authenticated') return reply.status(303).header('location', withTarget('/', rd)).send();
  return sendPage(reply, errorStatus[error], enrolIdentityPage(chrome(deps), { sentTo: undefined, rd, error: enrolmentErrorMessages[error] }));
}

/** `POST /2fa/enroll/start`: e-mails the identity-check code, shows where to type it. */
export function enrolStartFormPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { rd } = (request.body ?? {}) as { rd?: string };
    const result = await startEnrolment(deps, await portalRequest(deps, request));
    if (!result.ok) return failPage(deps, reply, result.error, rd);
    return sendPage(reply, 200, enrolIdentityPage(chrome(deps), { sentTo: result.sentTo, rd }));
  };
}

/** `POST /2fa/enroll/verify`: checks the e-mailed code, then shows the new secret. */
export function enrolVerifyFormPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { code = '', rd } = (request.body ?? {}) as { code?: string; rd?: string };
    const ctx = await portalRequest(deps, request);
    const result = await verifyEnrolmentIdentity(deps, ctx, code);
    if (!result.ok) return failPage(deps, reply, result.error, rd);
    return reply.status(303).header('location', withTarget('/2fa/enroll', rd)).send();
  };
}

/** `GET /2fa/enroll`: the secret and QR code once the identity check passed, else the code form. */
export function enrolPageGET(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { rd } = request.query as TargetQuery;
    const ctx = await portalRequest(deps, request);
    if (!ctx.session || ctx.session.state.username === '') return reply.status(302).header('location', withTarget('/', rd)).send();
    const pending = await pendingEnrolment(deps, ctx);
    if (!pending) return sendPage(reply, 200, enrolIdentityPage(chrome(deps), { sentTo: undefined, rd }));
    return sendPage(reply, 200, enrolSecretPage(chrome(deps), { ...pending, rd }));
  };
}

/** `POST /2fa/enroll/confirm`: a valid code from the new app saves it and completes the second factor. */
export function enrolConfirmFormPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { token = '', rd } = (request.body ?? {}) as { token?: string; rd?: string };
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
export function enrolStartPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const result = await startEnrolment(deps, await portalRequest(deps, request));
    if (!result.ok) return ko(reply, errorStatus[result.error], enrolmentErrorMessages[result.error]);
    return reply.send({ status: 'OK', data: { sentTo: result.sentTo } });
  };
}

export function enrolVerifyPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { code = '' } = (request.body ?? {}) as { code?: string };
    const ctx = await portalRequest(deps, request);
    const result = await verifyEnrolmentIdentity(deps, ctx, code);
    if (!result.ok) return ko(reply, errorStatus[result.error], enrolmentErrorMessages[result.error]);
    const pending = await pendingEnrolment(deps, ctx);
    return reply.send({ status: 'OK', data: { secret: pending?.secret, uri: pending?.uri } });
  };
}

export function enrolConfirmPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { token = '' } = (request.body ?? {}) as { token?: string };
    const ctx = await portalRequest(deps, request);
    const result = await confirmEnrolment(deps, ctx, token);
    if (!result.ok) return ko(reply, errorStatus[result.error], enrolmentErrorMessages[result.error]);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send({ status: 'OK' });
  };
}
