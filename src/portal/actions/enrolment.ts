import type { EnrollmentFlow, TotpChoice, TotpEnrollment } from '../../auth/totp/enrollment.js';
import type { Session } from '../../session/session.js';
import { totpEnrolmentContext } from '../../storage/rows.js';
import type { PortalDeps } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import { type ElevationError, elevationErrors, elevationGuard, finishElevation, maskEmail, startElevation } from './elevation.js';
import { raiseToTwoFactor } from './second-factor.js';

/** A pending secret (between the identity check and its confirmation) is good for this long. */
export const enrolmentWindowMs = 10 * 60_000;

export type EnrolmentError = ElevationError | 'no-enrolment' | 'totp-disabled' | 'not-allowed';

/** The sealed pending secret is bound to its user (storage copy re-seals it under a new key). */
const sealContext = totpEnrolmentContext;

/** Who may enrol: a signed-in user whose session passes the elevation guard (actions/elevation.ts). */
async function enrollee(deps: PortalDeps, request: PortalRequest): Promise<{ session: Session } | EnrolmentError> {
  if (!deps.totp) return 'totp-disabled';
  const verdict = await elevationGuard(deps, request);
  if (verdict !== 'ok') return verdict;
  return { session: request.session! };
}

/**
 * Step 1: when the session needs an elevation, e-mails its code (`sentTo`); when it is already
 * elevated (or may skip it), prepares the secret at once (`ready`).
 */
export async function startEnrolment(
  deps: PortalDeps,
  request: PortalRequest,
): Promise<{ ok: true; sentTo: string; revocationId: string } | { ok: true; ready: true } | { ok: false; error: EnrolmentError }> {
  if (!deps.totp) return { ok: false, error: 'totp-disabled' };
  const verdict = await elevationGuard(deps, request);
  if (verdict === 'ok') {
    const prepared = await prepareEnrolment(deps, request);
    return prepared.ok ? { ok: true, ready: true } : prepared;
  }
  if (verdict !== 'needs-elevation') return { ok: false, error: verdict };
  return startElevation(deps, request);
}

/** Step 2: the e-mailed code elevates the session, then a secret is prepared (kept sealed in the session). */
export async function verifyEnrolmentIdentity(
  deps: PortalDeps,
  request: PortalRequest,
  code: string,
): Promise<{ ok: true; session: Session } | { ok: false; error: EnrolmentError }> {
  if (!deps.totp) return { ok: false, error: 'totp-disabled' };
  const elevated = await finishElevation(deps, request, code);
  if (!elevated.ok) return elevated;
  return prepareEnrolment(deps, request);
}

/**
 * A new pending secret with the user's choice among `totp.allowed_*` (absent fields: the
 * configured defaults), replacing any earlier one; needs an elevated session.
 */
export async function prepareEnrolment(
  deps: PortalDeps,
  request: PortalRequest,
  choice?: TotpChoice,
): Promise<{ ok: true; session: Session } | { ok: false; error: EnrolmentError }> {
  const who = await enrollee(deps, request);
  if (typeof who === 'string') return { ok: false, error: who };
  const { username } = who.session.state;
  const enrollment = deps.totp!.createEnrollment(username, choice);
  if (!enrollment) return { ok: false, error: 'not-allowed' };
  const flow: EnrollmentFlow = { verifiedAt: deps.clock.now(), sealed: deps.seal.seal(JSON.stringify(enrollment), sealContext(username)) };
  who.session.state.flows.totpEnrolment = flow;
  await deps.sessions.save(request.cookie, who.session);
  return { ok: true, session: who.session };
}

/** The pending secret and its QR code, when one was prepared recently. */
export async function pendingEnrolment(deps: PortalDeps, request: PortalRequest) {
  const state = userOf(request.session);
  const flow = state?.flows.totpEnrolment;
  if (!state || !flow || !deps.totp || deps.clock.now() - flow.verifiedAt > enrolmentWindowMs) return undefined;
  const enrollment = JSON.parse(deps.seal.open(flow.sealed, sealContext(state.username))) as TotpEnrollment;
  return { enrollment, secret: enrollment.secret, uri: enrollment.uri, qrSvg: await deps.totp.qrSvg(enrollment.uri), options: deps.totp.options };
}

/** Step 3: a valid code from the new authenticator saves it (with its algorithm, digits and period) and counts as the second factor. */
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
  const { username } = who.session.state;
  delete who.session.state.flows.totpEnrolment;
  deps.logger.info({ username }, 'TOTP enrolment: authenticator saved');
  deps.observer.event({ event: 'second_factor', action: 'added', method: 'totp', username });
  return { ok: true, session: await raiseToTwoFactor(deps, request, who.session) };
}

/** What each enrolment error says, and its status. */
export const enrolmentErrors: Record<EnrolmentError, { status: number; message: string }> = {
  ...elevationErrors,
  'wrong-code': { status: 401, message: elevationErrors['wrong-code'].message },
  'no-enrolment': { status: 409, message: 'The set-up has expired. Start again.' },
  'totp-disabled': { status: 404, message: 'One-time codes are disabled on this server.' },
  'not-allowed': { status: 400, message: 'Choose an algorithm, a number of digits and a period among those offered.' },
};

export { maskEmail };
