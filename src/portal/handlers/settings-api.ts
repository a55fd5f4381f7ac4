/**
 * The settings page's JSON API, with Authelia's paths and `{status, data}` bodies where it has
 * the concept (`internal/server/handlers.go`): the preferred second factor, WebAuthn credentials
 * (listed, renamed, removed) and the authenticator app (removed); plus the user's sessions,
 * which Authelia does not list. Failures are `{"status":"KO","message"}` with 401 (not signed
 * in), 403 (a two-factor session is needed), 400, 404 or 409. Every state-changing route is
 * guarded against cross-site requests by the route table. What each action enforces:
 * actions/settings.ts.
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { WebAuthnCredential } from '../../storage/auth-repositories.js';
import { notAuthenticated } from '../actions/messages.js';
import {
  type SessionSummary,
  type SettingsResult,
  choosePreferredMethod,
  endOtherSessions,
  endSession,
  removeCredential,
  removeTotp,
  renameCredential,
  secondFactorsOf,
  sessionsOf,
  settingsErrors,
} from '../actions/settings.js';
import type { PortalDeps } from '../deps.js';
import { portalRequest, userOf } from '../request-context.js';
import { type Handler, ko } from './common.js';
import type { emptyBodySchema } from './enrolment.js';

export const preferredMethodSchema = Type.Object({ method: Type.String({ maxLength: 32 }) });
export const credentialParamsSchema = Type.Object({ credentialID: Type.String({ minLength: 1, maxLength: 1024 }) });
export const credentialDescriptionSchema = Type.Object({ description: Type.String({ maxLength: 1024 }) });
export const sessionIdSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** `POST /api/user/info/2fa_method {method}`: `totp` or `webauthn`, one the user has. */
export function preferredMethodPOST(deps: PortalDeps): Handler<{ body: typeof preferredMethodSchema }> {
  return async (request, reply) => send(reply, await choosePreferredMethod(deps, await portalRequest(deps, request), request.body.method));
}

/** `GET /api/secondfactor/webauthn/credentials`: the user's security keys and passkeys, every cookie domain. */
export function webauthnCredentialsGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    if (!deps.webauthn) return failure(reply, 'disabled');
    const state = userOf((await portalRequest(deps, request)).session);
    if (!state) return ko(reply, 401, notAuthenticated);
    const { credentials } = await secondFactorsOf(deps, state.username);
    return reply.send({ status: 'OK', data: credentials.map(credentialJson) });
  };
}

/** `PUT /api/secondfactor/webauthn/credential/{credentialID} {description}`. */
export function webauthnCredentialPUT(deps: PortalDeps): Handler<{ params: typeof credentialParamsSchema; body: typeof credentialDescriptionSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    return send(reply, await renameCredential(deps, ctx, request.params.credentialID, request.body.description));
  };
}

/** `DELETE /api/secondfactor/webauthn/credential/{credentialID}`. */
export function webauthnCredentialDELETE(deps: PortalDeps): Handler<{ params: typeof credentialParamsSchema }> {
  return async (request, reply) => send(reply, await removeCredential(deps, await portalRequest(deps, request), request.params.credentialID));
}

/** `DELETE /api/secondfactor/totp`: removes the user's authenticator app. */
export function totpDELETE(deps: PortalDeps): Handler {
  return async (request, reply) => send(reply, await removeTotp(deps, await portalRequest(deps, request)));
}

/** `GET /api/user/sessions` (Gatehouse's own): the user's live sessions, this one first. */
export function userSessionsGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return ko(reply, 401, notAuthenticated);
    return reply.send({ status: 'OK', data: (await sessionsOf(deps, state.username, ctx.session?.idHash)).map(sessionJson) });
  };
}

/** `POST /api/user/sessions/revoke {id}`: signs out another of the user's sessions (an `id` from the list). */
export function userSessionRevokePOST(deps: PortalDeps): Handler<{ body: typeof sessionIdSchema }> {
  return async (request, reply) => send(reply, await endSession(deps, await portalRequest(deps, request), request.body.id));
}

/** `POST /api/user/sessions/revoke-others {}`: signs out every session of the user but this one; `data.sessions` says how many. */
export function userSessionsRevokeOthersPOST(deps: PortalDeps): Handler<{ body: typeof emptyBodySchema }> {
  return async (request, reply) => {
    const result = await endOtherSessions(deps, await portalRequest(deps, request));
    return result.ok ? reply.send({ status: 'OK', data: { sessions: result.value } }) : failure(reply, result.error);
  };
}

function send(reply: FastifyReply, result: SettingsResult): FastifyReply {
  return result.ok ? reply.send({ status: 'OK' }) : failure(reply, result.error);
}

function failure(reply: FastifyReply, error: keyof typeof settingsErrors): FastifyReply {
  const { status, message } = settingsErrors[error];
  return ko(reply, status, message);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Authelia's credential fields that Gatehouse has; `id` is the credential ID (base64url), what the paths above take. */
function credentialJson(c: WebAuthnCredential) {
  return {
    id: c.credentialId,
    kid: Buffer.from(c.credentialId, 'base64url').toString('base64'),
    rpid: c.rpId,
    username: c.username,
    description: c.description,
    aaguid: c.aaguid,
    created_at: iso(c.createdAt),
    ...(c.lastUsedAt === undefined ? {} : { last_used_at: iso(c.lastUsedAt) }),
    transports: c.transports,
    sign_count: c.signCount,
    discoverable: c.discoverable,
    backup_eligible: c.backupEligible,
    backup_state: c.backedUp,
  };
}

function sessionJson(s: SessionSummary) {
  return {
    id: s.id,
    current: s.current,
    device: s.device,
    user_agent: s.userAgent ?? null,
    ip: s.ip ?? null,
    signed_in_at: iso(s.signedInAt),
    last_activity: iso(s.lastActivity),
    expires_at: iso(s.expiresAt),
    authentication_level: s.level,
    cookie_domain: s.cookieDomain,
  };
}
