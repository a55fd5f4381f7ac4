import { passwordLogin } from '../../auth/password-login.js';
import { DirectoryPasswordWriteError } from '../../auth/users/ldap-backend.js';
import { UsersFileWriteError } from '../../auth/users/users-file-writer.js';
import { AuthLevel } from '../../rules/policy.js';
import type { Session, SessionState } from '../../session/session.js';
import type { PortalDeps } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import { maskEmail } from './enrolment.js';
import type { RequestMeta } from './first-factor.js';
import { authenticationFailed, notAuthenticated } from './messages.js';

/**
 * Password change for a signed-in user (Authelia's `POST /api/change-password`, file backend):
 *
 * - Needs a signed-in session (one factor or more) and a users file (`deps.passwords`).
 * - Proof, one of: the current password, checked like a sign-in (regulation: a wrong one counts
 *   toward a ban, and a banned account fails with the same generic message); or a one-time code
 *   e-mailed to the user's first address (intent `password-change`), for a user who forgot it.
 * - The new password is typed twice, differs from the current one (when that was given) and
 *   meets `password_policy`; all of that is checked before the proof is used up.
 * - It is hashed with the configured algorithm and written to the users file atomically; when
 *   the file cannot be written nothing else changes.
 * - Then this browser stays signed in (its session is re-stamped with the new password and moved
 *   to a new ID), every other session of the user ends, and the user is told by e-mail.
 */
export type ChangeError =
  | 'disabled'
  | 'not-authenticated'
  | 'wrong-user'
  | 'no-proof'
  | 'wrong-password'
  | 'wrong-code'
  | 'no-email'
  | 'no-notifier'
  | 'mismatch'
  | 'same-password'
  | 'policy'
  | 'write-failed';

const intent = 'password-change';

export const changeErrorMessages: Record<Exclude<ChangeError, 'policy'>, string> = {
  disabled: 'Password changes are not available on this server.',
  'not-authenticated': notAuthenticated,
  'wrong-user': 'You can only change the password of the account you are signed in with.',
  'no-proof': 'Enter your current password, or confirm with a code sent by e-mail.',
  'wrong-password': authenticationFailed,
  'wrong-code': 'That code is not right, or it has expired. Ask for a new one.',
  'no-email': 'Your account has no e-mail address, so a code cannot be sent. Use your current password, or ask an administrator.',
  'no-notifier': 'This server cannot send e-mail, so a code cannot be sent. Use your current password, or ask an administrator.',
  mismatch: 'The two new passwords are not the same.',
  'same-password': 'The new password is the same as the current one. Choose another.',
  'write-failed':
    'Your new password could not be saved because of a problem on the server; your password is unchanged. Try again later, or contact an administrator.',
};

/** The message for a failure; `policy` lists every rule the password broke. */
export function changeMessage(error: ChangeError, reasons: readonly string[] = []): string {
  if (error === 'policy') return `The new password ${reasons.join(', and ')}.`;
  return changeErrorMessages[error];
}

export interface PasswordChangeInput {
  /** The current password; used when not empty. */
  readonly currentPassword?: string | undefined;
  /** The e-mailed one-time code, when the current password was not given. */
  readonly identityCode?: string | undefined;
  readonly password: string;
  readonly confirmation: string;
  /** The account the caller means (Authelia's JSON body names it): refused when not the signed-in one. */
  readonly username?: string | undefined;
}

type ChangeFailure = { ok: false; error: ChangeError; reasons?: readonly string[] };

/** The signed-in user of the request, or why there is none to change the password of. */
function changer(deps: PortalDeps, request: PortalRequest): { state: SessionState; session: Session } | 'disabled' | 'not-authenticated' {
  if (!deps.passwords || !deps.passwordChange) return 'disabled';
  const state = userOf(request.session);
  if (!state || !request.session || state.level < AuthLevel.oneFactor) return 'not-authenticated';
  return { state, session: request.session };
}

/** E-mails a one-time code that stands in for the current password (the user forgot it). */
export async function startPasswordChangeIdentity(
  deps: PortalDeps,
  request: PortalRequest,
  meta: RequestMeta,
): Promise<{ ok: true; sentTo: string } | { ok: false; error: 'disabled' | 'not-authenticated' | 'no-email' | 'no-notifier' }> {
  const who = changer(deps, request);
  if (typeof who === 'string') return { ok: false, error: who };
  const { state } = who;
  const email = state.emails[0];
  if (!email) return { ok: false, error: 'no-email' };
  if (!deps.notifier) return { ok: false, error: 'no-notifier' };
  const code = await deps.identityCheck.issue(state.username, intent);
  await deps.notifier.send({
    to: email,
    subject: 'Confirm it is you',
    text: [
      `Hello ${state.displayName || state.username},`,
      '',
      `Someone (hopefully you) signed in to ${deps.productName} asked to change your password without typing the current one.`,
      `Your one-time code is: ${code}`,
      '',
      'It works once, for a few minutes. If this was not you, do not give the code to anyone, and tell an administrator.',
    ].join('\n'),
  });
  deps.logger.info({ username: state.username, ip: meta.ip }, 'password change: identity code sent');
  return { ok: true, sentTo: maskEmail(email) };
}

/**
 * Sets the signed-in user's new password. On success, the returned session replaces the
 * request's (a new ID: hand its cookie to the browser).
 */
export async function changePassword(
  deps: PortalDeps,
  request: PortalRequest,
  input: PasswordChangeInput,
  meta: RequestMeta,
): Promise<{ ok: true; session: Session } | ChangeFailure> {
  const who = changer(deps, request);
  if (typeof who === 'string') return { ok: false, error: who };
  const { state, session } = who;
  const username = state.username;
  if (input.username !== undefined && input.username.trim().toLowerCase() !== username.toLowerCase()) return { ok: false, error: 'wrong-user' };
  const refused = await checkNewPassword(deps, state, input);
  if (refused) return refused;
  const proof = await checkProof(deps, state, input, meta);
  if (proof !== 'ok') return { ok: false, error: proof };

  const signedInWith = state.passwordFingerprint;
  try {
    // This session is stamped with the new password before the file changes: the reload that
    // follows ends the user's other sessions and spares this one (session-refresh.ts).
    await deps.passwords!.setPassword(username, input.password, async (fingerprint) => {
      state.passwordFingerprint = fingerprint;
      await deps.sessions.save(request.cookie, session);
    });
  } catch (error) {
    if (state.passwordFingerprint !== signedInWith) {
      state.passwordFingerprint = signedInWith;
      await deps.sessions.save(request.cookie, session);
    }
    if (!(error instanceof UsersFileWriteError || error instanceof DirectoryPasswordWriteError)) throw error;
    deps.logger.error({ err: error, username, ip: meta.ip }, 'password change: the new password could not be written');
    return { ok: false, error: 'write-failed' };
  }
  const kept = await keepThisSession(deps, request, session);
  await endOtherSessions(deps, username, kept.idHash);
  deps.logger.info({ username, ip: meta.ip, proof: input.currentPassword ? 'password' : 'e-mailed code' }, 'password change: password changed');
  deps.observer.event({ event: 'password', action: 'change', outcome: 'success', username, ip: meta.ip });
  await notify(deps, state, meta);
  return { ok: true, session: kept };
}

/** Typed twice, not the current one, and within `password_policy`. */
async function checkNewPassword(deps: PortalDeps, state: SessionState, input: PasswordChangeInput): Promise<ChangeFailure | undefined> {
  if (input.password !== input.confirmation) return { ok: false, error: 'mismatch' };
  if (input.currentPassword && input.password === input.currentPassword) return { ok: false, error: 'same-password' };
  const reasons = await deps.passwords!.policyReasons(input.password, [state.username, ...state.emails]);
  return reasons.length > 0 ? { ok: false, error: 'policy', reasons } : undefined;
}

/** The current password (as a sign-in attempt, regulated) or else the e-mailed code (used up when right). */
async function checkProof(deps: PortalDeps, state: SessionState, input: PasswordChangeInput, meta: RequestMeta): Promise<'ok' | ChangeError> {
  const { username } = state;
  if (input.currentPassword) {
    const outcome = await passwordLogin(
      { users: deps.users, regulator: deps.regulation },
      { login: username, password: input.currentPassword, ip: meta.ip, requestMethod: meta.method, requestUri: meta.uri },
    );
    if (outcome.user?.username === username) return 'ok';
    deps.logger.info({ username, ip: meta.ip, cause: outcome.banned ? 'banned' : 'wrong current password' }, 'password change refused');
    deps.observer.event({
      event: 'password',
      action: 'change',
      outcome: 'failure',
      username,
      ip: meta.ip,
      reason: outcome.banned ? 'banned' : 'wrong current password',
    });
    return 'wrong-password';
  }
  const code = input.identityCode?.trim();
  if (!code) return 'no-proof';
  if (await deps.identityCheck.consume(username, intent, code)) return 'ok';
  deps.logger.info({ username, ip: meta.ip, cause: 'wrong identity code' }, 'password change refused');
  deps.observer.event({ event: 'password', action: 'change', outcome: 'failure', username, ip: meta.ip, reason: 'wrong identity code' });
  return 'wrong-code';
}

/**
 * Stamps the session with the user's password as the users file now holds it and moves it to
 * a new ID, keeping its `sid` (no sign-out is announced for it: its apps stay signed in).
 */
async function keepThisSession(deps: PortalDeps, request: PortalRequest, session: Session): Promise<Session> {
  deps.sessions.signedIn(session.state, session.state);
  return deps.sessions.regenerate(request.cookie, session);
}

/**
 * Ends every session of `username` but the one stored under `keep`. The users-file reload after
 * the write has usually ended them already (session-refresh.ts); this makes the outcome the
 * action's own contract, watched file or not.
 */
async function endOtherSessions(deps: PortalDeps, username: string, keep: string): Promise<void> {
  for (const other of await deps.sessions.listUser(username)) {
    if (other.idHash !== keep) await deps.sessions.destroyByHash(other.idHash, 'user-changed');
  }
}

/** "Password changed" to the user's first address; a failure is logged, never shown. */
async function notify(deps: PortalDeps, state: SessionState, meta: RequestMeta): Promise<void> {
  const email = state.emails[0];
  if (!email || !deps.notifier) return;
  await deps.notifier
    .send({
      to: email,
      subject: 'Password changed',
      text: [
        `Hello ${state.displayName || state.username},`,
        '',
        `The password of your account at ${deps.productName} was just changed by you while signed in (from ${meta.ip}). Your other sessions were signed out.`,
        'If this was not you, contact an administrator at once.',
      ].join('\n'),
    })
    .catch((error: unknown) => deps.logger.error({ err: error, username: state.username }, 'password change: the notice could not be sent'));
}
