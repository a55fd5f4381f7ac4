import { AuthLevel } from '../../rules/policy.js';
import type { Session } from '../../session/session.js';
import { passwordLogin } from '../../auth/password-login.js';
import type { PortalDeps } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import type { RequestMeta } from './first-factor.js';
import { type NextStep, nextStep } from './next-step.js';

export type SecondFactorResult = { ok: true; session: Session; next: NextStep } | { ok: false; reason: 'not-authenticated' | 'failed' };

/**
 * TOTP code (`POST /api/secondfactor/totp`, the 2FA form).
 * - Needs a first-factor session; attempts are rate-limited per user and recorded.
 * - A code is accepted once (the TOTP service refuses replays).
 * - Success raises the session to level 2 (`amr` gains `otp`) under a new session ID.
 */
export async function secondFactorTotp(
  deps: PortalDeps,
  request: PortalRequest,
  input: { token: string; targetURL?: string | undefined; requestMethod?: string | undefined },
  meta: RequestMeta,
): Promise<SecondFactorResult> {
  const state = userOf(request.session);
  if (!state || !request.session || !deps.totp) return { ok: false, reason: 'not-authenticated' };
  const { username } = state;
  const allowed = deps.totp.attemptAllowed(username);
  const valid = allowed && (await deps.totp.verify(username, input.token.trim()));
  await deps.regulation.record({
    username,
    ip: meta.ip,
    successful: valid,
    banned: !allowed,
    kind: '2fa-totp',
    requestMethod: meta.method,
    requestUri: meta.uri,
  });
  if (!valid) {
    if (allowed) deps.totp.recordFailure(username);
    deps.logger.info({ username, ip: meta.ip, cause: allowed ? 'wrong or reused code' : 'rate limited' }, 'second factor failed');
    return { ok: false, reason: 'failed' };
  }
  const session = await raiseToTwoFactor(deps, request, request.session);
  deps.logger.info({ username, ip: meta.ip }, 'second factor succeeded');
  return { ok: true, session, next: nextStep(deps, request.cookie, session.state, { ...input, ip: meta.ip }) };
}

/**
 * The password as the second factor of a passkey session (one factor: a passkey without the
 * user verification that would count as two). The attempt is a password attempt like the login
 * form's: regulated, recorded, generic on failure; it must be the session user's password.
 */
export async function secondFactorPassword(
  deps: PortalDeps,
  request: PortalRequest,
  input: { password: string; targetURL?: string | undefined; requestMethod?: string | undefined },
  meta: RequestMeta,
): Promise<SecondFactorResult> {
  const state = userOf(request.session);
  if (!state || !request.session || !isPasskeySession(state)) return { ok: false, reason: 'not-authenticated' };
  const { user } = await passwordLogin(
    { users: deps.users, regulator: deps.regulation },
    { login: state.username, password: input.password, ip: meta.ip, requestMethod: meta.method, requestUri: meta.uri },
  );
  if (user?.username !== state.username) {
    deps.logger.info({ username: state.username, ip: meta.ip, cause: 'wrong password or banned' }, 'second factor failed');
    return { ok: false, reason: 'failed' };
  }
  const now = deps.clock.now();
  const raised = { ...state, level: AuthLevel.twoFactor, amr: [...new Set([...state.amr, 'pwd'])], secondFactorAt: now };
  // The password fingerprint a later change of the users file is compared against.
  deps.sessions.signedIn(raised, state);
  const session = await deps.sessions.regenerate(request.cookie, { ...request.session, state: raised });
  deps.logger.info({ username: state.username, ip: meta.ip, method: 'password' }, 'second factor succeeded');
  return { ok: true, session, next: nextStep(deps, request.cookie, session.state, { ...input, ip: meta.ip }) };
}

/** Whether the user has any second factor (an authenticator app or a key, for any cookie domain). */
export async function hasSecondFactor(deps: PortalDeps, username: string): Promise<boolean> {
  if (deps.totp && (await deps.totp.has(username))) return true;
  return deps.webauthn !== undefined && (await deps.webauthn.list(username)).length > 0;
}

/** A session signed in with a passkey alone: no password yet. */
export function isPasskeySession(state: { readonly amr: readonly string[] }): boolean {
  return !state.amr.includes('pwd') && (state.amr.includes('hwk') || state.amr.includes('swk'));
}

/** Level 2 with `otp` in `amr`, under a new session ID. */
export async function raiseToTwoFactor(deps: PortalDeps, request: PortalRequest, session: Session): Promise<Session> {
  const now = deps.clock.now();
  const state = {
    ...session.state,
    level: AuthLevel.twoFactor,
    amr: [...new Set([...session.state.amr, 'otp'])],
    secondFactorAt: now,
  };
  return deps.sessions.regenerate(request.cookie, { ...session, state });
}
