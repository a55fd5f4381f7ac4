/**
 * Session elevation (`identity_validation.elevated_session`, Authelia's
 * `handler_user_session_elevation.go` and `RequireElevated`): before a user adds a second factor,
 * an e-mailed one-time code proves they read their mail, and elevates the session for a while.
 *
 * - A code has `characters` characters, lives `code_lifespan`, is single-use, stored only as a
 *   hash and compared in constant time (auth/totp/one-time-codes.ts); a newer code revokes the
 *   older one, and wrong guesses revoke it after a few. A banned user (regulation) gets none.
 * - The elevation lasts `elevation_lifespan` and is bound to the IP it was granted from: from
 *   another IP, or once expired, it is voided (removed from the session).
 * - The guard ({@link elevationGuard}), in Authelia's order: a two-factor session passes without
 *   elevation when `skip_second_factor` is set; with `require_second_factor`, a one-factor
 *   session of a user who has a second factor is refused until it is used; else an elevation is needed.
 * - Every step is told to the observer (audit log, metrics): started, granted, failed, revoked.
 */
import { AuthLevel } from '../../rules/policy.js';
import type { Session, SessionState } from '../../session/session.js';
import type { PortalDeps } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import { hasSecondFactor } from './second-factor.js';

/** The one intent of elevation codes (Authelia's `OTCIntentUserSessionElevation`). */
export const elevationIntent = 'session-elevation';

export type ElevationError =
  | 'not-authenticated'
  | 'no-email'
  | 'no-notifier'
  | 'banned'
  | 'wrong-code'
  | 'unknown-code'
  | 'needs-second-factor'
  | 'needs-elevation';

export const elevationErrors: Record<ElevationError, { status: number; message: string }> = {
  'not-authenticated': { status: 401, message: 'Sign in with your password first.' },
  'no-email': { status: 409, message: 'Your account has no e-mail address, so your identity cannot be checked. Ask an administrator.' },
  'no-notifier': { status: 409, message: 'This server cannot send e-mail, so your identity cannot be checked. Ask an administrator.' },
  banned: { status: 403, message: 'Too many failed attempts: try again later.' },
  'wrong-code': { status: 403, message: 'That code is not right, or it has expired.' },
  'unknown-code': { status: 404, message: 'That code does not exist, or it was already used, revoked or expired.' },
  'needs-second-factor': { status: 403, message: 'You already have a second factor: sign in with it before setting up another.' },
  'needs-elevation': { status: 403, message: 'Confirm it is you first: enter the code we e-mail you.' },
};

type Failure = { readonly ok: false; readonly error: ElevationError };
const fail = (error: ElevationError): Failure => ({ ok: false, error });

/** Authelia's `GET /api/user/session/elevation` answer (`bodyGETUserSessionElevate`). */
export interface ElevationStatus {
  readonly require_second_factor: boolean;
  readonly skip_second_factor: boolean;
  readonly can_skip_second_factor: boolean;
  readonly factor_knowledge: boolean;
  readonly elevated: boolean;
  /** Seconds left (negative once expired, as Authelia reports it; 0 when voided for another IP). */
  readonly expires: number;
}

/** The session's elevation state, as Authelia reports it; a stale elevation is voided (and the session saved). */
export async function elevationStatus(deps: PortalDeps, request: PortalRequest): Promise<{ ok: true; status: ElevationStatus } | Failure> {
  const { ip } = request;
  const state = userOf(request.session);
  if (!state || !request.session) return fail('not-authenticated');
  const policy = await secondFactorPolicy(deps, state);
  const elevation = state.flows.elevation;
  let elevated = elevation !== undefined;
  let expires = elevation ? Math.trunc((elevation.expiresAt - deps.clock.now()) / 1000) : 0;
  if (elevation && (elevation.ip !== ip || elevation.expiresAt < deps.clock.now())) {
    if (elevation.ip !== ip) expires = 0;
    elevated = false;
    await voidElevation(deps, request, request.session, elevation.ip !== ip ? 'another IP' : 'expired');
  }
  return { ok: true, status: { ...policy, elevated, expires } };
}

/** Authelia's second-factor fields of the status: what the user must or may do besides the e-mailed code. */
async function secondFactorPolicy(deps: PortalDeps, state: SessionState) {
  const config = deps.elevation;
  const policy = { require_second_factor: false, skip_second_factor: false, can_skip_second_factor: false, factor_knowledge: false };
  if (state.level >= AuthLevel.twoFactor) return { ...policy, skip_second_factor: config.skipSecondFactor };
  const has = await hasSecondFactor(deps, state.username);
  return {
    ...policy,
    factor_knowledge: state.amr.includes('pwd'),
    require_second_factor: config.requireSecondFactor && has,
    can_skip_second_factor: !config.requireSecondFactor && config.skipSecondFactor && has,
  };
}

/**
 * Starts an elevation: e-mails a new code to the user's first address (earlier codes are
 * revoked). Returns where it went (masked) and the ID that revokes the code.
 */
export async function startElevation(deps: PortalDeps, request: PortalRequest): Promise<{ ok: true; sentTo: string; revocationId: string } | Failure> {
  const { ip } = request;
  const state = userOf(request.session);
  if (!state) return fail('not-authenticated');
  const email = state.emails[0];
  if (!email) return fail('no-email');
  if (!deps.notifier) return fail('no-notifier');
  if ((await deps.regulation.check(state.username, ip)).banned) return fail('banned');
  const { code, revocationId } = await deps.identityCheck.issueRevocable(state.username, elevationIntent);
  await deps.notifier.send({ to: email, subject: 'Confirm your identity', text: codeMail(deps, state, code, ip) });
  deps.logger.info({ username: state.username, ip }, 'session elevation: code sent');
  deps.observer.event({ event: 'elevation', action: 'started', username: state.username, ip });
  return { ok: true, sentTo: maskEmail(email), revocationId };
}

function codeMail(deps: PortalDeps, state: SessionState, code: string, ip: string): string {
  return [
    `Hello ${state.displayName || state.username},`,
    '',
    `Someone (hopefully you, from ${ip}) asked to change the security settings of your ${deps.productName} account.`,
    `Your one-time code is: ${code}`,
    '',
    `It expires in ${Math.max(1, Math.round(deps.identityCheck.lifespan / 60_000))} minutes. If this was not you, ignore this message and change your password.`,
  ].join('\n');
}

/** Finishes an elevation: the right code (consumed) elevates the session for `elevation_lifespan`, from this IP. */
export async function finishElevation(deps: PortalDeps, request: PortalRequest, code: string): Promise<{ ok: true; session: Session } | Failure> {
  const { ip } = request;
  const state = userOf(request.session);
  if (!state || !request.session) return fail('not-authenticated');
  const { username } = state;
  if ((await deps.regulation.check(username, ip)).banned) return fail('banned');
  if (!(await deps.identityCheck.consume(username, elevationIntent, code.trim()))) {
    deps.logger.info({ username, ip }, 'session elevation: wrong, expired or used code');
    deps.observer.event({ event: 'elevation', action: 'failed', username, ip });
    return fail('wrong-code');
  }
  state.flows.elevation = { expiresAt: deps.clock.now() + deps.elevation.elevationLifespan, ip };
  await deps.sessions.save(request.cookie, request.session);
  deps.logger.info({ username, ip }, 'session elevation: granted');
  deps.observer.event({ event: 'elevation', action: 'granted', username, ip });
  return { ok: true, session: request.session };
}

/** Revokes the code `revocationId` names (Authelia's `DELETE /api/user/session/elevation/{id}`), whoever asks. */
export async function revokeElevationCode(deps: PortalDeps, revocationId: string, ip: string): Promise<{ ok: true } | Failure> {
  const username = await deps.identityCheck.revoke(revocationId, elevationIntent);
  if (username === undefined) return fail('unknown-code');
  deps.logger.info({ username, ip }, 'session elevation: code revoked');
  deps.observer.event({ event: 'elevation', action: 'revoked', username, ip });
  return { ok: true };
}

/**
 * Authelia's `RequireElevated` for the session of `request`: `ok`, or why not. A stale
 * elevation (expired, or from another IP) is voided.
 */
export async function elevationGuard(deps: PortalDeps, request: PortalRequest): Promise<'ok' | ElevationError> {
  const { ip } = request;
  const state = userOf(request.session);
  if (!state || !request.session) return 'not-authenticated';
  const config = deps.elevation;
  if (config.skipSecondFactor && state.level >= AuthLevel.twoFactor) return 'ok';
  if (config.requireSecondFactor && state.level < AuthLevel.twoFactor && (await hasSecondFactor(deps, state.username))) return 'needs-second-factor';
  const elevation = state.flows.elevation;
  if (!elevation) return 'needs-elevation';
  if (elevation.expiresAt < deps.clock.now() || elevation.ip !== ip) {
    await voidElevation(deps, request, request.session, elevation.ip !== ip ? 'another IP' : 'expired');
    return 'needs-elevation';
  }
  return 'ok';
}

async function voidElevation(deps: PortalDeps, request: PortalRequest, session: Session, why: string): Promise<void> {
  delete session.state.flows.elevation;
  await deps.sessions.save(request.cookie, session);
  deps.logger.warn({ username: session.state.username, cause: why }, 'session elevation voided');
}

/** `john.doe@example.com` → `j•••@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '•••' : `${email[0]}•••${email.slice(at)}`;
}
