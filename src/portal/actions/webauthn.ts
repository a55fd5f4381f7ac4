/**
 * Security keys and passkeys in the portal (`webauthn`): registering one (after an e-mailed
 * identity check, as for an authenticator app), using one as the second factor, and signing in
 * with a passkey (`webauthn.enable_passkey_login`).
 *
 * - The relying party is the cookie domain the request's portal belongs to, the origin the
 *   portal's own (one parse of the request: request-context.ts).
 * - Each ceremony's challenge lives in the session (`flows.webauthn`), for one purpose and
 *   `webauthn.timeout` plus a minute; it is taken out before the answer is checked, so an
 *   answer is verified once and a replayed one finds no challenge.
 * - `amr` (RFC 8176, as Authelia marks it): `hwk` for a roaming authenticator (cross-platform
 *   attachment), `swk` otherwise (built in, or a synced passkey), `user` for user presence and
 *   `pin` when the authenticator verified the user.
 * - A passkey sign-in is one factor, or two when the authenticator verified the user and
 *   `webauthn.experimental_enable_passkey_uv_two_factors` is set (Authelia's rule).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { RelyingParty } from '../../auth/webauthn/ceremonies.js';
import { AuthLevel } from '../../rules/policy.js';
import type { Session, WebAuthnFlow } from '../../session/session.js';
import type { PortalDeps, WebAuthnPort } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import { type ElevationError, elevationErrors, elevationGuard, finishElevation, startElevation } from './elevation.js';
import { type RequestMeta, startUserSession } from './first-factor.js';
import { type NextStep, nextStep } from './next-step.js';
import { isPasskeySession } from './second-factor.js';

export type WebAuthnError =
  | 'disabled'
  | 'passkeys-disabled'
  | 'not-authenticated'
  | 'needs-second-factor'
  | 'banned'
  | 'no-email'
  | 'no-notifier'
  | 'wrong-code'
  | 'not-verified'
  | 'bad-name'
  | 'duplicate-name'
  | 'no-ceremony'
  | 'no-credentials'
  | 'refused'
  | 'passkey-session'
  | 'failed';

export const webauthnErrorMessages: Record<WebAuthnError, string> = {
  disabled: 'Security keys are disabled on this server.',
  'passkeys-disabled': 'Signing in with a passkey is not enabled on this server.',
  'not-authenticated': 'Sign in with your password first.',
  'needs-second-factor': 'Confirm with your existing second factor first.',
  banned: elevationErrors.banned.message,
  'no-email': 'Your account has no e-mail address, so your identity cannot be checked. Ask an administrator.',
  'no-notifier': 'This server cannot send e-mail, so your identity cannot be checked. Ask an administrator.',
  'wrong-code': 'That code is not right, or it has expired.',
  'not-verified': 'Confirm it is you first: the code from the e-mail has expired or was not entered.',
  'bad-name': 'Give the key a name of 1 to 64 characters.',
  'duplicate-name': 'You already have a key with that name: choose another.',
  'no-ceremony': 'The request timed out or was already used. Try again.',
  'no-credentials': 'You have no security key registered here.',
  refused: 'That security key could not be registered.',
  'passkey-session': 'You signed in with a passkey: complete the sign-in with your password or your authenticator app.',
  failed: 'The security key was not accepted. Try again.',
};

type Failure = { readonly ok: false; readonly error: WebAuthnError };
const fail = (error: WebAuthnError): Failure => ({ ok: false, error });

export function relyingParty(request: PortalRequest): RelyingParty {
  return { id: request.cookie.domain, origin: request.origin };
}

/** RFC 8176 `amr` values for a WebAuthn assertion or registration. */
export function webauthnAmr(attachment: string | undefined, userVerified: boolean): string[] {
  return [attachment === 'cross-platform' ? 'hwk' : 'swk', 'user', ...(userVerified ? ['pin'] : [])];
}

/** The elevation guard's refusals, as this module names them. */
function refusal(error: ElevationError): WebAuthnError {
  return error === 'needs-elevation' ? 'not-verified' : error === 'unknown-code' ? 'wrong-code' : error;
}

/** Who may register a key: a signed-in user whose session passes the elevation guard (actions/elevation.ts). */
async function registrant(deps: PortalDeps, request: PortalRequest): Promise<{ webauthn: WebAuthnPort; session: Session } | Failure> {
  const webauthn = deps.webauthn;
  if (!webauthn) return fail('disabled');
  const verdict = await elevationGuard(deps, request);
  if (verdict !== 'ok') return fail(refusal(verdict));
  return { webauthn, session: request.session! };
}

/** Registration, step 1: starts a session elevation (e-mails its code). */
export async function startRegistrationIdentity(
  deps: PortalDeps,
  request: PortalRequest,
): Promise<{ ok: true; sentTo: string; revocationId: string } | Failure> {
  if (!deps.webauthn) return fail('disabled');
  const verdict = await elevationGuard(deps, request);
  if (verdict !== 'ok' && verdict !== 'needs-elevation') return fail(refusal(verdict));
  const started = await startElevation(deps, request);
  return started.ok ? started : fail(refusal(started.error));
}

/** Registration, step 2: the e-mailed code elevates the session (`elevation_lifespan`), for this and other credential changes. */
export async function verifyRegistrationIdentity(deps: PortalDeps, request: PortalRequest, code: string): Promise<{ ok: true } | Failure> {
  if (!deps.webauthn) return fail('disabled');
  const elevated = await finishElevation(deps, request, code);
  return elevated.ok ? { ok: true } : fail(refusal(elevated.error));
}

/** Whether this session may register a key now (the elevation guard passes). */
export async function identityVerified(deps: PortalDeps, request: PortalRequest): Promise<boolean> {
  return (await elevationGuard(deps, request)) === 'ok';
}

/** A key's name: trimmed, 1 to 64 characters, no control characters. */
export function keyName(description: string): string | undefined {
  const name = description.trim();
  const length = [...name].length;
  return length >= 1 && length <= 64 && !/[\u0000-\u001f\u007f]/.test(name) ? name : undefined;
}

/** Registration, step 3: the options for the browser, its challenge kept in the session. */
export async function beginRegistration(deps: PortalDeps, request: PortalRequest, description: string) {
  const who = await registrant(deps, request);
  if ('ok' in who) return who;
  const name = keyName(description);
  if (name === undefined) return fail('bad-name');
  const state = who.session.state;
  const rp = relyingParty(request);
  const existing = await who.webauthn.list(state.username, rp.id);
  if (existing.some((c) => c.description.toLowerCase() === name.toLowerCase())) return fail('duplicate-name');
  const ceremony = await who.webauthn.ceremonies.registrationOptions({ username: state.username, displayName: state.displayName || state.username }, rp);
  state.flows.webauthn = { purpose: 'register', challenge: ceremony.challenge, createdAt: deps.clock.now(), description: name };
  await deps.sessions.save(request.cookie, who.session);
  return { ok: true as const, options: ceremony.options };
}

/** Takes the session's ceremony for `purpose` out of it (saved), or undefined when there is none in time. */
async function takeCeremony(deps: PortalDeps, request: PortalRequest, session: Session, purpose: WebAuthnFlow['purpose']): Promise<WebAuthnFlow | undefined> {
  const flow = session.state.flows.webauthn;
  if (!flow) return undefined;
  delete session.state.flows.webauthn;
  await deps.sessions.save(request.cookie, session);
  const timeout = (deps.webauthn?.config.timeout ?? 0) + 60_000;
  if (flow.purpose !== purpose || deps.clock.now() - flow.createdAt > timeout) return undefined;
  return flow;
}

/** Registration, step 4: verifies the browser's answer and stores the key; it then counts as the second factor. */
export async function finishRegistration(
  deps: PortalDeps,
  request: PortalRequest,
  response: RegistrationResponseJSON,
): Promise<{ ok: true; session: Session; description: string } | Failure> {
  const who = await registrant(deps, request);
  if ('ok' in who) return who;
  const state = who.session.state;
  const flow = await takeCeremony(deps, request, who.session, 'register');
  if (!flow) return fail('no-ceremony');
  const result = await who.webauthn.ceremonies.register(state, relyingParty(request), response, flow.challenge, flow.description ?? 'Security key');
  if (!result.ok) {
    deps.logger.info({ username: state.username, cause: result.reason }, 'WebAuthn registration refused');
    return fail('refused');
  }
  const { credential } = result;
  deps.logger.info({ username: state.username, credential: credential.credentialId, passkey: credential.discoverable }, 'WebAuthn registration: key saved');
  deps.observer.event({ event: 'second_factor', action: 'added', method: 'webauthn', username: state.username });
  const amr = webauthnAmr(response.authenticatorAttachment, false);
  return { ok: true, session: await raiseWith(deps, request, who.session, amr), description: credential.description };
}

/** Second factor, step 1: options listing the user's keys for this relying party. */
export async function beginSecondFactor(deps: PortalDeps, request: PortalRequest) {
  const webauthn = deps.webauthn;
  if (!webauthn) return fail('disabled');
  const state = userOf(request.session);
  if (!state || !request.session) return fail('not-authenticated');
  if (isPasskeySession(state)) return fail('passkey-session');
  const rp = relyingParty(request);
  if ((await webauthn.list(state.username, rp.id)).length === 0) return fail('no-credentials');
  const ceremony = await webauthn.ceremonies.authenticationOptions(rp, state.username);
  state.flows.webauthn = { purpose: 'second-factor', challenge: ceremony.challenge, createdAt: deps.clock.now() };
  await deps.sessions.save(request.cookie, request.session);
  return { ok: true as const, options: ceremony.options };
}

/** Second factor, step 2: a valid assertion raises the session to level 2 under a new ID. */
export async function finishSecondFactor(
  deps: PortalDeps,
  request: PortalRequest,
  response: AuthenticationResponseJSON,
  input: { targetURL?: string | undefined; requestMethod?: string | undefined },
  meta: RequestMeta,
): Promise<{ ok: true; session: Session; next: NextStep } | Failure> {
  const webauthn = deps.webauthn;
  if (!webauthn) return fail('disabled');
  const state = userOf(request.session);
  if (!state || !request.session) return fail('not-authenticated');
  if (isPasskeySession(state)) return fail('passkey-session');
  const { username } = state;
  const flow = await takeCeremony(deps, request, request.session, 'second-factor');
  const result = flow ? await webauthn.ceremonies.authenticate(relyingParty(request), response, flow.challenge, username) : undefined;
  await deps.regulation.record({
    username,
    ip: meta.ip,
    successful: result?.ok === true,
    banned: false,
    kind: 'webauthn',
    requestMethod: meta.method,
    requestUri: meta.uri,
  });
  if (!result?.ok) {
    deps.logger.info({ username, ip: meta.ip, cause: result?.reason ?? 'no ceremony in progress' }, 'second factor failed');
    return fail(flow ? 'failed' : 'no-ceremony');
  }
  const session = await raiseWith(deps, request, request.session, webauthnAmr(response.authenticatorAttachment, result.userVerified));
  deps.logger.info({ username, ip: meta.ip, method: 'webauthn' }, 'second factor succeeded');
  return { ok: true, session, next: nextStep(deps, request.cookie, session.state, { ...input, ip: meta.ip }) };
}

/** Passkey sign-in, step 1: options with no credential listed (the authenticator offers its passkeys). */
export async function beginPasskey(deps: PortalDeps, request: PortalRequest) {
  const webauthn = deps.webauthn;
  if (!webauthn) return fail('disabled');
  if (!webauthn.config.enablePasskeyLogin) return fail('passkeys-disabled');
  const session = request.session ?? deps.sessions.create(request.cookie);
  const ceremony = await webauthn.ceremonies.authenticationOptions(relyingParty(request));
  session.state.flows.webauthn = { purpose: 'passkey', challenge: ceremony.challenge, createdAt: deps.clock.now() };
  await deps.sessions.save(request.cookie, session);
  return { ok: true as const, options: ceremony.options, session };
}

/**
 * Passkey sign-in, step 2: the passkey's user signs in (the user must exist, be enabled and not
 * banned), with one factor, or two when the authenticator verified the user and the
 * experimental key allows it.
 */
export async function finishPasskey(
  deps: PortalDeps,
  request: PortalRequest,
  response: AuthenticationResponseJSON,
  input: { keepMeLoggedIn: boolean; targetURL?: string | undefined; requestMethod?: string | undefined },
  meta: RequestMeta,
): Promise<{ ok: true; session: Session; next: NextStep } | Failure> {
  const webauthn = deps.webauthn;
  if (!webauthn) return fail('disabled');
  if (!webauthn.config.enablePasskeyLogin) return fail('passkeys-disabled');
  const flow = request.session && (await takeCeremony(deps, request, request.session, 'passkey'));
  if (!flow) return fail('no-ceremony');
  const result = await webauthn.ceremonies.authenticate(relyingParty(request), response, flow.challenge);
  const user = result.ok ? await deps.users.get(result.username) : undefined;
  const ban = user ? await deps.regulation.check(user.username, meta.ip) : undefined;
  const successful = user !== undefined && ban?.banned === false;
  await deps.regulation.record({
    username: result.ok ? result.username : '',
    ip: meta.ip,
    successful,
    banned: ban?.banned === true,
    kind: 'passkey',
    requestMethod: meta.method,
    requestUri: meta.uri,
  });
  if (!result.ok || !user || !successful) {
    const cause = !result.ok ? result.reason : !user ? 'the user is unknown or disabled' : 'banned';
    deps.logger.info({ username: result.ok ? result.username : undefined, ip: meta.ip, cause }, 'passkey sign-in failed');
    return fail('failed');
  }
  const twoFactors = webauthn.config.passkeyUvTwoFactors && result.userVerified;
  const amr = webauthnAmr(response.authenticatorAttachment, result.userVerified);
  const session = await startUserSession(
    deps,
    request,
    user,
    { level: twoFactors ? AuthLevel.twoFactor : AuthLevel.oneFactor, amr: twoFactors ? [...amr, 'mfa'] : amr, keepMeLoggedIn: input.keepMeLoggedIn },
    meta,
  );
  deps.logger.info({ username: user.username, ip: meta.ip, factors: twoFactors ? 2 : 1 }, 'passkey sign-in succeeded');
  return { ok: true, session, next: nextStep(deps, request.cookie, session.state, { ...input, ip: meta.ip }) };
}

/** Level 2 with `amr` added to the session's, under a new session ID. */
async function raiseWith(deps: PortalDeps, request: PortalRequest, session: Session, amr: readonly string[]): Promise<Session> {
  const state = {
    ...session.state,
    level: AuthLevel.twoFactor,
    amr: [...new Set([...session.state.amr, ...amr])],
    secondFactorAt: deps.clock.now(),
  };
  return deps.sessions.regenerate(request.cookie, { ...session, state });
}
