import type { FastifyRequest, onSendHookHandler } from 'fastify';
import { Type } from 'typebox';
import type { ConsentPort } from '../../oidc/consent.js';
import type { PortalDeps } from '../deps.js';
import { consentPage } from '../html/consent-page.js';
import { messagePage } from '../html/pages.js';
import { portalRequest, userOf } from '../request-context.js';
import { type Handler, chrome, own, sendPage } from './common.js';

export const consentQuerySchema = Type.Object({ flow_id: Type.String({ minLength: 1, maxLength: 128 }) });

export const consentFormSchema = Type.Object({
  flow_id: Type.String({ minLength: 1, maxLength: 128 }),
  decision: Type.Enum(['accept', 'deny'], { type: 'string' }),
  remember: Type.Optional(Type.String({ maxLength: 8 })),
});

/** The origin the consent form's redirect chain ends at, per request (for `form-action`). */
const formTargets = new WeakMap<FastifyRequest, string>();

/** `GET /consent?flow_id=…`: the consent page of a pending OpenID Connect authorization. */
export function consentPageGET(deps: PortalDeps, consent: ConsentPort): Handler<{ querystring: typeof consentQuerySchema }> {
  return async (request, reply) => {
    const { flow_id: flowId } = request.query;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    const resume = `${ctx.root}/api/oidc/authorization?flow_id=${encodeURIComponent(flowId)}`;
    if (!state)
      return reply
        .status(302)
        .header('location', own(deps, '/', resume))
        .send();
    const described = await consent.describe(flowId);
    if (!described)
      return sendPage(
        reply,
        404,
        messagePage(chrome(deps), 'Request expired', 'This sign-in request has expired. Go back to the application and start again.'),
      );
    formTargets.set(request, described.redirectOrigin);
    return sendPage(reply, 200, consentPage(chrome(deps), { flowId, ...described, username: state.username }));
  };
}

/** `POST /consent`: records the decision and resumes the authorization request. */
export function consentFormPOST(deps: PortalDeps, consent: ConsentPort): Handler<{ body: typeof consentFormSchema }> {
  return async (request, reply) => {
    const form = request.body;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return reply.status(303).header('location', own(deps, '/')).send();
    const next = await consent.decide(form.flow_id, state.username, form.decision === 'accept', form.remember === 'true', ctx.root);
    if (!next)
      return sendPage(
        reply,
        404,
        messagePage(chrome(deps), 'Request expired', 'This sign-in request has expired. Go back to the application and start again.'),
      );
    return reply.status(303).header('location', next).send();
  };
}

/**
 * Runs after the portal's headers: lets the consent form's redirect chain end at the client
 * (CSP `form-action` also governs the redirects that follow a form submission).
 */
export const consentFormAction: onSendHookHandler = (request, reply, payload, done) => {
  const target = formTargets.get(request);
  const csp = reply.getHeader('content-security-policy');
  if (target && typeof csp === 'string') void reply.header('content-security-policy', csp.replace("form-action 'self'", `form-action 'self' ${target}`));
  done(null, payload);
};
