import type { EnrollmentFlow, TotpEnrollment } from '../../auth/totp/enrollment.js';
import type { Session } from '../../session/session.js';
import { totpEnrolmentContext } from '../../storage/rows.js';
import type { PortalDeps } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import { hasSecondFactor, raiseToTwoFactor } from './second-factor.js';

/** Identity-check codes and pending secrets are good for this long. */
export const enrolmentWindowMs = 10 * 60_000;
const intent = 'totp-enrolment';

export type EnrolmentError = 'not-authenticated' | 'needs-second-factor' | 'no-email' | 'wrong-code' | 'no-enrolment' | 'totp-disabled' | 'no-notifier';

/** The sealed pending secret is bound to its user (storage copy re-seals it under a new key). */
const sealContext = totpEnrolmentContext;

/**
 * Who may enrol: a signed-in user; one who already has a second factor (an app or a key) must
 * have used it (level 2), so a stolen password alone cannot swap or add one.
 */
async function enrollee(deps: PortalDeps, request: PortalRequest): Promise<{ state: Session['state']; session: Session } | EnrolmentError> {
  if (!deps.totp) return 'totp-disabled';
  const state = userOf(request.session);
  if (!state || !request.session) return 'not-authenticated';
  if (state.level < 2 && (await hasSecondFactor(deps, state.username))) return 'needs-second-factor';
  return { state, session: request.session };
}

/** Step 1: e-mails a one-time code to the user's first address (the identity check). */
export async function startEnrolment(deps: PortalDeps, request: PortalRequest): Promise<{ ok: true; sentTo: string } | { ok: false; error: EnrolmentError }> {
  const who = await enrollee(deps, request);
  if (typeof who === 'string') return { ok: false, error: who };
  const email = who.state.emails[0];
  if (!email) return { ok: false, error: 'no-email' };
  if (!deps.notifier) return { ok: false, error: 'no-notifier' };
  const code = await deps.identityCheck.issue(who.state.username, intent);
  await deps.notifier.send({
    to: email,
    subject: 'Confirm it is you',
    text: [
      `Hello ${who.state.displayName || who.state.username},`,
      '',
      'Someone (hopefully you) asked to set up an authenticator app for your account.',
      `Your one-time code is: ${code}`,
      '',
      `It expires in ${enrolmentWindowMs / 60_000} minutes. If this was not you, ignore this message and change your password.`,
    ].join('\n'),
  });
  deps.logger.info({ username: who.state.username }, 'TOTP enrolment: identity code sent');
  return { ok: true, sentTo: maskEmail(email) };
}

/** Step 2: checks the code, then prepares a secret (kept sealed in the session) and shows it. */
export async function verifyEnrolmentIdentity(
  deps: PortalDeps,
  request: PortalRequest,
  code: string,
): Promise<{ ok: true; session: Session } | { ok: false; error: EnrolmentError }> {
  const who = await enrollee(deps, request);
  if (typeof who === 'string') return { ok: false, error: who };
  if (!(await deps.identityCheck.consume(who.state.username, intent, code.trim()))) {
    deps.logger.info({ username: who.state.username }, 'TOTP enrolment: wrong identity code');
    return { ok: false, error: 'wrong-code' };
  }
  const enrollment = deps.totp!.createEnrollment(who.state.username);
  const flow: EnrollmentFlow = {
    verifiedAt: deps.clock.now(),
    sealed: deps.seal.seal(JSON.stringify(enrollment), sealContext(who.state.username)),
  };
  who.session.state.flows.totpEnrolment = flow;
  await deps.sessions.save(request.cookie, who.session);
  return { ok: true, session: who.session };
}

/** The pending secret and its QR code, when step 2 was passed recently. */
export async function pendingEnrolment(deps: PortalDeps, request: PortalRequest) {
  const state = userOf(request.session);
  const flow = state?.flows.totpEnrolment;
  if (!state || !flow || !deps.totp || deps.clock.now() - flow.verifiedAt > enrolmentWindowMs) return undefined;
  const enrollment = JSON.parse(deps.seal.open(flow.sealed, sealContext(state.username))) as TotpEnrollment;
  return { enrollment, secret: enrollment.secret, uri: enrollment.uri, qrSvg: await deps.totp.qrSvg(enrollment.uri) };
}

/** Step 3: a valid code from the new authenticator saves it and counts as the second factor. */
export async function confirmEnrolment(
  deps: PortalDeps,
  request: PortalRequest,
  code: string,
): Promise<{ ok: true; session: Session } | { ok: false; error: EnrolmentError }> {
  const who = await enrollee(deps, request);
  if (typeof who === 'string') return { ok: false, error: who };
  const pending = await pendingEnrolment(deps, request);
  if (!pending) return { ok: false, error: 'no-enrolment' };
  if (!(await deps.totp!.confirm(pending.enrollment, code.trim()))) return { ok: false, error: 'wrong-code' };
  delete who.session.state.flows.totpEnrolment;
  deps.logger.info({ username: who.state.username }, 'TOTP enrolment: authenticator saved');
  deps.observer.event({ event: 'second_factor', action: 'added', method: 'totp', username: who.state.username });
  return { ok: true, session: await raiseToTwoFactor(deps, request, who.session) };
}

/** `john.doe@example.com` → `j•••@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '•••' : `${email[0]}•••${email.slice(at)}`;
}

export const enrolmentErrorMessages: Record<EnrolmentError, string> = {
  'not-authenticated': 'Sign in with your password first.',
  'needs-second-factor': 'You already have a second factor: sign in with it before setting up another.',
  'no-email': 'Your account has no e-mail address, so your identity cannot be checked. Ask an administrator to enrol your authenticator.',
  'wrong-code': 'That code is not right, or it has expired.',
  'no-enrolment': 'The set-up has expired. Start again.',
  'totp-disabled': 'One-time codes are disabled on this server.',
  'no-notifier': 'This server cannot send e-mail, so your identity cannot be checked. Ask an administrator to enrol your authenticator.',
};
