import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply } from 'fastify';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { authenticationFailed } from '../actions/messages.js';
import {
  type WebAuthnError,
  beginPasskey,
  beginRegistration,
  beginSecondFactor,
  finishPasskey,
  finishRegistration,
  finishSecondFactor,
  identityVerified,
  startRegistrationIdentity,
  verifyRegistrationIdentity,
  webauthnErrorMessages,
} from '../actions/webauthn.js';
import type { PortalDeps } from '../deps.js';
import { loginPage } from '../html/pages.js';
import { webauthnRegisterPage } from '../html/webauthn-pages.js';
import { type PortalRequest, portalRequest, userOf } from '../request-context.js';
import { type Handler, type PageHandler, chrome, own, ko, meta, nextLocation, okJson, sendPage, withTarget } from './common.js';
import { secondFactorPageFor } from './second-factor.js';

const errorStatus: Record<WebAuthnError, number> = {
  disabled: 404,
  'passkeys-disabled': 404,
  'not-authenticated': 401,
  'needs-second-factor': 403,
  banned: 403,
  'no-email': 409,
  'no-notifier': 409,
  'wrong-code': 401,
  'not-verified': 403,
  'bad-name': 400,
  'duplicate-name': 409,
  'no-ceremony': 409,
  'no-credentials': 409,
  refused: 400,
  'passkey-session': 403,
  failed: 401,
};

/**
 * A `PublicKeyCredential` as the browser library serialises it (WebAuthn Level 3 `toJSON()`):
 * checked for shape here, so a malformed body is a 400, never an exception further in.
 */
const credentialSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 1366 }),
  rawId: Type.String({ minLength: 1, maxLength: 1366 }),
  type: Type.Literal('public-key'),
  response: Type.Object({ clientDataJSON: Type.String({ minLength: 1, maxLength: 8192 }) }),
  clientExtensionResults: Type.Optional(Type.Object({})),
  authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
});
type CredentialJson = Static<typeof credentialSchema>;

/** The credential a form carries as JSON text in its `credential` field; undefined when it is not one. */
function parseCredential(text: string | undefined): CredentialJson | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(credentialSchema, value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const asAssertion = (c: CredentialJson) => c as unknown as AuthenticationResponseJSON;
const asAttestation = (c: CredentialJson) => c as unknown as RegistrationResponseJSON;

const malformed = 'The security key answer is malformed. Try again.';

// ---- Pages (forms; the WebAuthn step itself needs the small script /static/webauthn.js) ----

export const webauthnFormSchema = Type.Object({
  credential: Type.Optional(Type.String({ maxLength: 65536 })),
  description: Type.Optional(Type.String({ maxLength: 256 })),
  code: Type.Optional(Type.String({ maxLength: 64 })),
  keepMeLoggedIn: Type.Optional(Type.String({ maxLength: 8 })),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
  rm: Type.Optional(Type.String({ maxLength: 16 })),
});
type FormHandler = Handler<{ body: typeof webauthnFormSchema }>;

/** Sends a signed-out visitor to the login page, coming back to `path` on this portal. */
function toLogin(deps: PortalDeps, reply: FastifyReply, ctx: PortalRequest, path: string, rd: string | undefined) {
  return reply
    .status(303)
    .header('location', own(deps, '/', `${ctx.root}${withTarget(path, rd)}`))
    .send();
}

function registerFailure(deps: PortalDeps, reply: FastifyReply, ctx: PortalRequest, error: WebAuthnError, rd: string | undefined, description?: string) {
  if (error === 'not-authenticated') return toLogin(deps, reply, ctx, '/settings/webauthn', rd);
  const step =
    error === 'wrong-code' ? 'code' : error === 'bad-name' || error === 'duplicate-name' || error === 'refused' || error === 'no-ceremony' ? 'name' : 'blocked';
  const message = error === 'needs-second-factor' ? 'You already have a second factor: sign in with it first, then add another.' : webauthnErrorMessages[error];
  return sendPage(reply, errorStatus[error], webauthnRegisterPage(chrome(deps), { step, rd, error: message, description }));
}

/** `GET /settings/webauthn`: the identity check, then the form that registers a key. */
export function registerPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const { rd } = request.query;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!deps.webauthn) return registerFailure(deps, reply, ctx, 'disabled', rd);
    if (!state) return toLogin(deps, reply, ctx, '/settings/webauthn', rd);
    if (!(await identityVerified(deps, ctx))) return sendPage(reply, 200, webauthnRegisterPage(chrome(deps), { step: 'identity', rd }));
    return sendPage(reply, 200, webauthnRegisterPage(chrome(deps), { step: 'name', rd }));
  };
}

/** `POST /settings/webauthn/identity`: e-mails the code. */
export function registerIdentityFormPOST(deps: PortalDeps): FormHandler {
  return async (request, reply) => {
    const { rd } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await startRegistrationIdentity(deps, ctx);
    if (!result.ok) return registerFailure(deps, reply, ctx, result.error, rd);
    return sendPage(reply, 200, webauthnRegisterPage(chrome(deps), { step: 'code', sentTo: result.sentTo, rd }));
  };
}

/** `POST /settings/webauthn/verify`: checks the e-mailed code. */
export function registerVerifyFormPOST(deps: PortalDeps): FormHandler {
  return async (request, reply) => {
    const { rd, code = '' } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await verifyRegistrationIdentity(deps, ctx, code);
    if (!result.ok) return registerFailure(deps, reply, ctx, result.error, rd);
    return reply
      .status(303)
      .header('location', own(deps, '/settings/webauthn', rd))
      .send();
  };
}

/** `POST /settings/webauthn/register`: the browser's answer, filled in by the script. */
export function registerFormPOST(deps: PortalDeps): FormHandler {
  return async (request, reply) => {
    const { rd, description } = request.body;
    const ctx = await portalRequest(deps, request);
    const credential = parseCredential(request.body.credential);
    if (!credential) {
      if (!userOf(ctx.session)) return toLogin(deps, reply, ctx, '/settings/webauthn', rd);
      return sendPage(reply, 400, webauthnRegisterPage(chrome(deps), { step: 'name', rd, error: malformed, description }));
    }
    const result = await finishRegistration(deps, ctx, asAttestation(credential));
    if (!result.ok) return registerFailure(deps, reply, ctx, result.error, rd, description);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    // Coming from a sign-in that needs a second factor: on to it (the new key counts); else back to the settings.
    return reply
      .status(303)
      .header('location', rd ? own(deps, '/2fa', rd) : own(deps, '/settings?done=webauthn-added'))
      .send();
  };
}

/** `POST /2fa/webauthn`: the security key as the second factor. */
export function secondFactorFormPOST(deps: PortalDeps): FormHandler {
  return async (request, reply) => {
    const { rd, rm } = request.body;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state)
      return reply
        .status(303)
        .header('location', own(deps, '/', rd, rm))
        .send();
    const credential = parseCredential(request.body.credential);
    const result = credential
      ? await finishSecondFactor(deps, ctx, asAssertion(credential), { targetURL: rd, requestMethod: rm }, meta(request))
      : ({ ok: false, error: 'failed' } as const);
    if (result.ok) {
      void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
      return reply
        .status(303)
        .header('location', nextLocation(deps, result.next, rm))
        .send();
    }
    const error = result.error === 'failed' ? authenticationFailed : webauthnErrorMessages[result.error];
    return sendPage(reply, errorStatus[result.error], await secondFactorPageFor(deps, ctx, state, { rd, rm, error }));
  };
}

/** `POST /login/passkey`: signs in with a passkey. */
export function passkeyFormPOST(deps: PortalDeps): FormHandler {
  return async (request, reply) => {
    const { rd, rm, keepMeLoggedIn } = request.body;
    const ctx = await portalRequest(deps, request);
    const credential = parseCredential(request.body.credential);
    const result = credential
      ? await finishPasskey(
          deps,
          ctx,
          asAssertion(credential),
          { keepMeLoggedIn: keepMeLoggedIn === 'true' || keepMeLoggedIn === 'on', targetURL: rd, requestMethod: rm },
          meta(request),
        )
      : ({ ok: false, error: 'failed' } as const);
    if (result.ok) {
      void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
      return reply
        .status(303)
        .header('location', nextLocation(deps, result.next, rm))
        .send();
    }
    // Without a ceremony in progress (expired, or an answer replayed) it failed like any other attempt.
    const shown = result.error === 'no-ceremony' ? 'failed' : result.error;
    const error = shown === 'failed' ? authenticationFailed : webauthnErrorMessages[shown];
    const page = loginPage(chrome(deps), {
      rd,
      rm,
      error,
      rememberMe: ctx.cookie.rememberMe > 0,
      resetLink: deps.resetPasswordLink,
      passkey: deps.webauthn?.config.enablePasskeyLogin === true,
    });
    return sendPage(reply, errorStatus[shown], page);
  };
}

// ---- JSON API (Authelia's paths and envelopes) ----

/** `{status: 'OK', data: {publicKey}}`: the options as `navigator.credentials` takes them (Authelia's shape). */
function optionsJson(reply: FastifyReply, options: unknown) {
  return reply.header('cache-control', 'no-store').send({ status: 'OK', data: { publicKey: options } });
}

function koFor(reply: FastifyReply, error: WebAuthnError) {
  return ko(reply, errorStatus[error], error === 'failed' ? authenticationFailed : webauthnErrorMessages[error]);
}

/** `GET /api/secondfactor/webauthn`: options to sign with one of the user's keys. */
export function secondFactorOptionsGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const result = await beginSecondFactor(deps, await portalRequest(deps, request));
    return result.ok ? optionsJson(reply, result.options) : koFor(reply, result.error);
  };
}

export const assertionBodySchema = Type.Object({
  response: credentialSchema,
  targetURL: Type.Optional(Type.String({ maxLength: 8192 })),
  requestMethod: Type.Optional(Type.String({ maxLength: 16 })),
  keepMeLoggedIn: Type.Optional(Type.Boolean()),
});

/** `POST /api/secondfactor/webauthn`: the assertion as the second factor. */
export function secondFactorPOST(deps: PortalDeps): Handler<{ body: typeof assertionBodySchema }> {
  return async (request, reply) => {
    const { response, targetURL, requestMethod } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await finishSecondFactor(deps, ctx, asAssertion(response), { targetURL, requestMethod }, meta(request));
    if (!result.ok) return koFor(reply, result.error);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send(okJson(result.next));
  };
}

/** `GET /api/firstfactor/passkey`: options to sign in with a passkey (a session cookie carries the challenge). */
export function passkeyOptionsGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const result = await beginPasskey(deps, ctx);
    if (!result.ok) return koFor(reply, result.error);
    if (result.session !== ctx.session) void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return optionsJson(reply, result.options);
  };
}

/** `POST /api/firstfactor/passkey`: signs in with the passkey's assertion. */
export function passkeyPOST(deps: PortalDeps): Handler<{ body: typeof assertionBodySchema }> {
  return async (request, reply) => {
    const { response, targetURL, requestMethod, keepMeLoggedIn } = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await finishPasskey(deps, ctx, asAssertion(response), { keepMeLoggedIn: keepMeLoggedIn === true, targetURL, requestMethod }, meta(request));
    if (!result.ok) return koFor(reply, result.error === 'no-ceremony' ? 'failed' : result.error);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send(okJson(result.next));
  };
}

export const registrationStartSchema = Type.Object({ description: Type.String({ maxLength: 256 }) });

/** `PUT /api/secondfactor/webauthn/credential/register`: options to register a key named `description`. */
export function registrationOptionsPUT(deps: PortalDeps): Handler<{ body: typeof registrationStartSchema }> {
  return async (request, reply) => {
    const result = await beginRegistration(deps, await portalRequest(deps, request), request.body.description);
    return result.ok ? optionsJson(reply, result.options) : koFor(reply, result.error);
  };
}

/** The registration answer: `{response: credential}`, or the credential itself (Authelia posts it bare). */
export const registrationBodySchema = Type.Union([Type.Object({ response: credentialSchema }), credentialSchema]);

/** `POST /api/secondfactor/webauthn/credential/register`: verifies and stores the key. */
export function registrationPOST(deps: PortalDeps): Handler<{ body: typeof registrationBodySchema }> {
  return async (request, reply) => {
    const body = request.body;
    const credential = 'id' in body ? body : body.response;
    const ctx = await portalRequest(deps, request);
    const result = await finishRegistration(deps, ctx, asAttestation(credential));
    if (!result.ok) return koFor(reply, result.error);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.status(201).send({ status: 'OK' });
  };
}

/** `DELETE /api/secondfactor/webauthn/credential/register`: abandons a registration in progress. */
export function registrationDELETE(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state || !ctx.session) return koFor(reply, 'not-authenticated');
    if (state.flows.webauthn) {
      delete state.flows.webauthn;
      await deps.sessions.save(ctx.cookie, ctx.session);
    }
    return reply.send({ status: 'OK' });
  };
}

export const identityCodeSchema = Type.Object({ code: Type.String({ maxLength: 64 }) });

/** `POST /api/secondfactor/webauthn/identity/start`: e-mails the identity-check code. */
export function identityStartPOST(deps: PortalDeps): Handler<{ body: typeof emptyObjectSchema }> {
  return async (request, reply) => {
    const result = await startRegistrationIdentity(deps, await portalRequest(deps, request));
    return result.ok ? reply.send({ status: 'OK', data: { sentTo: result.sentTo, delete_id: result.revocationId } }) : koFor(reply, result.error);
  };
}

export const emptyObjectSchema = Type.Object({});

/** `POST /api/secondfactor/webauthn/identity/finish`: checks the code; keys may be registered for ten minutes. */
export function identityFinishPOST(deps: PortalDeps): Handler<{ body: typeof identityCodeSchema }> {
  return async (request, reply) => {
    const result = await verifyRegistrationIdentity(deps, await portalRequest(deps, request), request.body.code);
    return result.ok ? reply.send({ status: 'OK' }) : koFor(reply, result.error);
  };
}
