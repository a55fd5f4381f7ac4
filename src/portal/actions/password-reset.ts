import { DirectoryPasswordWriteError } from '../../auth/users/ldap-backend.js';
import { UsersFileWriteError } from '../../auth/users/users-file-writer.js';
import type { PortalDeps } from '../deps.js';
import type { PortalRequest } from '../request-context.js';
import { ownPath } from '../../shared/base-path.js';

/**
 * "Forgot password?" (Authelia's reset-password identity verification, file backend):
 *
 * - Starting always answers the same, whether the login names an enabled user with an e-mail or
 *   not: the same work is done before answering (lookup, token minted and hashed); storing the
 *   token and e-mailing the link happen after the answer, for real users only.
 * - The link carries a single-use token (only its hash is stored, bound to the user), valid for
 *   `identity_validation.reset_password.jwt_lifespan`. Opening the link does not use it up (mail
 *   scanners open links); setting the password does, atomically.
 * - A new password meets `password_policy`, is hashed with the configured algorithm and written to
 *   the users file; then every session of the user ends and they are told by e-mail.
 */
export type ResetError = 'disabled' | 'too-many' | 'invalid-link' | 'mismatch' | 'policy' | 'write-failed';

export const resetErrorMessages: Record<Exclude<ResetError, 'policy'>, string> = {
  disabled: 'Password reset is not available on this server.',
  'too-many': 'Too many password reset requests from your network. Try again later.',
  'invalid-link': 'This password reset link is not valid: it has expired, has already been used, or was not copied whole. Ask for a new one.',
  mismatch: 'The two passwords are not the same.',
  'write-failed':
    'Your password could not be changed because of a problem on the server; your old password still works. Ask for a new link later, or contact an administrator.',
};

export const resetStartedMessage = 'If that account exists, a link to reset its password is on its way to its e-mail address.';

/** The message for a failure; `policy` lists every rule the password broke. */
export function resetMessage(error: ResetError, reasons: readonly string[] = []): string {
  if (error === 'policy') return `The password ${reasons.join(', and ')}.`;
  return resetErrorMessages[error];
}

/** Step 1: e-mails a reset link to `login`'s address when it names an enabled user with one. */
export async function startPasswordReset(
  deps: PortalDeps,
  request: PortalRequest,
  login: string,
  ip: string,
): Promise<{ ok: true } | { ok: false; error: 'disabled' | 'too-many' }> {
  const reset = deps.passwordReset;
  if (!reset) return { ok: false, error: 'disabled' };
  const user = login.trim() === '' ? undefined : await deps.users.find(login.trim());
  // One count per account however it was spelt (username or e-mail, any case), as regulation counts logins.
  const allowed = reset.allowStart(ip, user?.username ?? login.trim().toLowerCase());
  if (allowed === 'ip-limited') {
    deps.logger.warn({ ip, login }, 'password reset: too many requests from this IP');
    return { ok: false, error: 'too-many' };
  }
  const minted = reset.mint(user?.username ?? login);
  const email = user?.emails[0];
  const notifier = deps.notifier;
  if (!user || !email || !notifier || allowed === 'user-limited') {
    deps.logger.info({ ip, login, reason: !user ? 'unknown or disabled user' : !email ? 'no e-mail' : 'too many requests' }, 'password reset: nothing sent');
    return { ok: true };
  }
  const link = new URL(ownPath(deps.basePath, '/reset-password/step2'), request.cookie.portalUrl);
  link.searchParams.set('token', minted.token);
  const send = async () => {
    await reset.store(user.username, minted.hash);
    await notifier.send({
      to: email,
      subject: 'Reset your password',
      text: [
        `Hello ${user.displayName || user.username},`,
        '',
        `Someone (hopefully you) asked to reset the password of your account at ${deps.productName}. To choose a new one, open:`,
        '',
        link.href,
        '',
        `The link works once and expires in ${Math.round(reset.lifespan / 60_000)} minutes. If this was not you, ignore this message: your password stays as it is.`,
      ].join('\n'),
    });
    deps.logger.info({ username: user.username, ip }, 'password reset: link sent');
  };
  // After the answer (on a later turn of the event loop: storing the token starts synchronously
  // on SQLite), so that real and unknown users are answered in the same time.
  setImmediate(() => {
    send().catch((error: unknown) => deps.logger.error({ err: error, username: user.username }, 'password reset: the link could not be sent'));
  });
  return { ok: true };
}

/** The user a link is for, when it is still valid (the form page). */
export async function checkResetLink(deps: PortalDeps, token: string): Promise<{ ok: true } | { ok: false; error: 'disabled' | 'invalid-link' }> {
  if (!deps.passwordReset) return { ok: false, error: 'disabled' };
  const username = await deps.passwordReset.peek(token);
  return username && (await deps.passwordReset.user(username)) ? { ok: true } : { ok: false, error: 'invalid-link' };
}

/** Step 2: sets the new password of the link's user, ends their sessions, tells them. */
export async function finishPasswordReset(
  deps: PortalDeps,
  input: { token: string; password: string; confirmation: string; ip: string },
): Promise<{ ok: true } | { ok: false; error: ResetError; reasons?: readonly string[] }> {
  const reset = deps.passwordReset;
  const passwords = deps.passwords;
  if (!reset || !passwords) return { ok: false, error: 'disabled' };
  const username = await reset.peek(input.token);
  const user = username === undefined ? undefined : await reset.user(username);
  if (!user) {
    deps.logger.info({ ip: input.ip }, 'password reset: invalid, expired or used link');
    deps.observer.event({ event: 'password', action: 'reset', outcome: 'failure', username: '', ip: input.ip, reason: 'invalid, expired or used link' });
    return { ok: false, error: 'invalid-link' };
  }
  if (input.password !== input.confirmation) return { ok: false, error: 'mismatch' };
  const reasons = await passwords.policyReasons(input.password, [user.username, ...user.emails]);
  if (reasons.length > 0) return { ok: false, error: 'policy', reasons };
  if ((await reset.consume(input.token)) !== user.username) return { ok: false, error: 'invalid-link' };
  try {
    await passwords.setPassword(user.username, input.password);
  } catch (error) {
    if (!(error instanceof UsersFileWriteError || error instanceof DirectoryPasswordWriteError)) throw error;
    deps.logger.error({ err: error, username: user.username, ip: input.ip }, 'password reset: the new password could not be written');
    return { ok: false, error: 'write-failed' };
  }
  const ended = await deps.sessions.destroyUser(user.username, 'user-changed');
  deps.logger.info({ username: user.username, ip: input.ip, sessionsEnded: ended }, 'password reset: password changed');
  deps.observer.event({ event: 'password', action: 'reset', outcome: 'success', username: user.username, ip: input.ip });
  const email = user.emails[0];
  if (email && deps.notifier) {
    await deps.notifier
      .send({
        to: email,
        subject: 'Password changed',
        text: [
          `Hello ${user.displayName || user.username},`,
          '',
          `The password of your account at ${deps.productName} was just changed with a reset link, and every session was signed out.`,
          'If this was not you, contact an administrator at once.',
        ].join('\n'),
      })
      .catch((error: unknown) => deps.logger.error({ err: error, username: user.username }, 'password reset: the notice could not be sent'));
  }
  return { ok: true };
}
