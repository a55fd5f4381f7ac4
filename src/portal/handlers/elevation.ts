/**
 * Authelia's session elevation API (`internal/handlers/handler_user_session_elevation.go`):
 *
 * - `GET /api/user/session/elevation`: `{elevated, expires, require_second_factor,
 *   skip_second_factor, can_skip_second_factor, factor_knowledge}`.
 * - `POST /api/user/session/elevation`: e-mails a one-time code; `{delete_id}` revokes it.
 * - `PUT /api/user/session/elevation {otc}`: the code elevates the session.
 * - `DELETE /api/user/session/elevation/{id}`: revokes a code that was not used.
 *
 * Failures are `{"status":"KO","message"}` (401 not signed in, 403 wrong code or banned, 404
 * unknown code, 409 no e-mail or notifier). The route table guards POST, PUT and DELETE against
 * cross-site requests; `server.endpoints.rate_limits.session_elevation_{start,finish}` attach to
 * the POST and PUT handlers exported here. What each step enforces: actions/elevation.ts.
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { type ElevationError, elevationErrors, elevationStatus, finishElevation, revokeElevationCode, startElevation } from '../actions/elevation.js';
import type { PortalDeps } from '../deps.js';
import { portalRequest } from '../request-context.js';
import { type Handler, ko } from './common.js';

/** `PUT` body: Authelia's `otc` (at most 20 characters there; spaces and dashes are ignored here). */
export const elevationCodeSchema = Type.Object({ otc: Type.String({ minLength: 1, maxLength: 64 }) });
export const elevationStartSchema = Type.Object({});
export const elevationIdSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 512 }) });

function failure(reply: FastifyReply, error: ElevationError): FastifyReply {
  const { status, message } = elevationErrors[error];
  return ko(reply, status, message);
}

/** `GET /api/user/session/elevation`. */
export function elevationGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const result = await elevationStatus(deps, await portalRequest(deps, request));
    return result.ok ? reply.send({ status: 'OK', data: result.status }) : failure(reply, result.error);
  };
}

/** `POST /api/user/session/elevation`: the `session_elevation_start` endpoint. */
export function elevationPOST(deps: PortalDeps): Handler<{ body: typeof elevationStartSchema }> {
  return async (request, reply) => {
    const result = await startElevation(deps, await portalRequest(deps, request));
    return result.ok ? reply.send({ status: 'OK', data: { delete_id: result.revocationId } }) : failure(reply, result.error);
  };
}

/** `PUT /api/user/session/elevation {otc}`: the `session_elevation_finish` endpoint. */
export function elevationPUT(deps: PortalDeps): Handler<{ body: typeof elevationCodeSchema }> {
  return async (request, reply) => {
    const result = await finishElevation(deps, await portalRequest(deps, request), request.body.otc);
    return result.ok ? reply.send({ status: 'OK' }) : failure(reply, result.error);
  };
}

/** `DELETE /api/user/session/elevation/{id}`: revokes the code `id` names (`delete_id` of the POST). */
export function elevationDELETE(deps: PortalDeps): Handler<{ params: typeof elevationIdSchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const result = await revokeElevationCode(deps, request.params.id, ctx.ip);
    return result.ok ? reply.send({ status: 'OK' }) : failure(reply, result.error);
  };
}
