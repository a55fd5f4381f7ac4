/**
 * The settings page's actions (`/settings` and its JSON API): the user's second factors and the
 * one they prefer, and their sessions.
 *
 * - Everything needs a signed-in session.
 * - Removing or renaming a second factor, and choosing the preferred one, need a two-factor
 *   session whenever the user has any second factor: a stolen password alone can neither strip
 *   nor rename one (Authelia asks for an elevated session for the same). Removing one is told to
 *   the user by e-mail, as Authelia does.
 * - Ending sessions needs only a signed-in session and reaches only the user's own live
 *   sessions: an ID that is not one of them is refused as unknown, whoever it belongs to.
 */
import { AuthLevel } from '../../rules/policy.js';
import type { SessionState } from '../../session/session.js';
import type { WebAuthnCredential } from '../../storage/auth-repositories.js';
import type { PortalDeps, SecondFactorMethod } from '../deps.js';
import { type PortalRequest, userOf } from '../request-context.js';
import { deviceName } from './device-name.js';
import { notAuthenticated } from './messages.js';
import { keyName } from './webauthn.js';

/** The longest name a security key or passkey may have, in characters ({@link keyName}). */
export const credentialNameMaxLength = 64;

export type SettingsError =
  | 'not-authenticated'
  | 'needs-second-factor'
  | 'disabled'
  | 'no-totp'
  | 'unknown-credential'
  | 'invalid-name'
  | 'duplicate-name'
  | 'unavailable-method'
  | 'unknown-session'
  | 'current-session';

export const settingsErrors: Record<SettingsError, { status: number; message: string }> = {
  'not-authenticated': { status: 401, message: notAuthenticated },
  'needs-second-factor': { status: 403, message: 'Confirm it is you with your second factor first: this change needs a two-factor sign-in.' },
  disabled: { status: 404, message: 'This method is disabled on this server.' },
  'no-totp': { status: 404, message: 'You have no authenticator app set up.' },
  'unknown-credential': { status: 404, message: 'You have no security key or passkey with that ID.' },
  'invalid-name': { status: 400, message: `Give the key a name of 1 to ${credentialNameMaxLength} characters.` },
  'duplicate-name': { status: 409, message: 'You already have a key with that name: choose another.' },
  'unavailable-method': { status: 400, message: 'Choose one of the second factors you have set up.' },
  'unknown-session': { status: 404, message: 'That session is not one of yours, or it has already ended.' },
  'current-session': { status: 400, message: 'That is the session you are using: sign out to end it.' },
};

export type SettingsResult<T = undefined> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SettingsError };
const fail = (error: SettingsError) => ({ ok: false, error }) as const;
const done = <T>(value: T) => ({ ok: true, value }) as const;

/** What second factors a user has (those of methods disabled on this server count as none). */
export interface SecondFactors {
  readonly totp: boolean;
  /** Security keys and passkeys for every cookie domain, oldest first. */
  readonly credentials: readonly WebAuthnCredential[];
  /** The methods the user has, in the order offered: `totp`, then `webauthn`. */
  readonly methods: readonly SecondFactorMethod[];
}

export async function secondFactorsOf(deps: PortalDeps, username: string): Promise<SecondFactors> {
  const [totp, credentials] = await Promise.all([deps.totp?.has(username) ?? false, deps.webauthn?.list(username) ?? []]);
  const methods: SecondFactorMethod[] = [];
  if (totp) methods.push('totp');
  if (credentials.length > 0) methods.push('webauthn');
  return { totp, credentials, methods };
}

/** The user's choice while they still have that method, else the first they have; undefined when they have none. */
export async function preferredMethodOf(deps: PortalDeps, username: string, methods: readonly SecondFactorMethod[]): Promise<SecondFactorMethod | undefined> {
  const chosen = await deps.preferences.secondFactorMethod(username);
  return methods.find((m) => m === chosen) ?? methods[0];
}

/** One of the user's live sessions, as the settings page shows it. */
export interface SessionSummary {
  /** The stored hash of the session ID: what names it in forms (never the ID itself). */
  readonly id: string;
  /** The session of the request. */
  readonly current: boolean;
  readonly device: string;
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
  readonly signedInAt: number;
  readonly lastActivity: number;
  readonly expiresAt: number;
  readonly level: number;
  readonly cookieDomain: string;
}

/** The user's live sessions, this one first, then the most recently active. */
export async function sessionsOf(deps: PortalDeps, username: string, currentId: string | undefined): Promise<SessionSummary[]> {
  const now = deps.clock.now();
  const stored = await deps.sessions.listUser(username);
  return stored
    .filter((s) => s.expiresAt > now && s.state.username === username)
    .map(({ idHash, state, expiresAt }) => summary(idHash, state, expiresAt, idHash === currentId))
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastActivity - a.lastActivity);
}

function summary(id: string, state: SessionState, expiresAt: number, current: boolean): SessionSummary {
  return {
    id,
    current,
    device: deviceName(state.device?.userAgent),
    userAgent: state.device?.userAgent,
    ip: state.device?.ip,
    signedInAt: state.firstFactorAt ?? state.createdAt,
    lastActivity: state.lastActivity,
    expiresAt,
    level: state.level,
    cookieDomain: state.cookieDomain,
  };
}

/** Whether this session may change the user's second factors: it reached two factors, or there is none to protect. */
export function mayChangeSecondFactors(state: Pick<SessionState, 'level'>, factors: SecondFactors): boolean {
  return factors.methods.length === 0 || state.level >= AuthLevel.twoFactor;
}

/** The signed-in user, with their second factors, when they may change them. */
async function changer(deps: PortalDeps, request: PortalRequest): Promise<SettingsResult<{ state: SessionState; factors: SecondFactors }>> {
  const state = userOf(request.session);
  if (!state) return fail('not-authenticated');
  const factors = await secondFactorsOf(deps, state.username);
  if (!mayChangeSecondFactors(state, factors)) {
    deps.logger.warn({ username: state.username }, 'settings: a second-factor change needs a two-factor session');
    return fail('needs-second-factor');
  }
  return done({ state, factors });
}

/** Deletes the user's authenticator app. */
export async function removeTotp(deps: PortalDeps, request: PortalRequest): Promise<SettingsResult> {
  if (!deps.totp) return fail('disabled');
  const who = await changer(deps, request);
  if (!who.ok) return who;
  const { state } = who.value;
  if (!who.value.factors.totp || !(await deps.totp.remove(state.username))) return fail('no-totp');
  deps.logger.info({ username: state.username }, 'settings: authenticator app removed');
  deps.observer.event({ event: 'second_factor', action: 'removed', method: 'totp', username: state.username });
  await tellRemoved(deps, state, 'Your authenticator app');
  return done(undefined);
}

/** Renames one of the user's security keys or passkeys: a {@link keyName}, unique (ignoring case) among the user's keys for its domain, as at registration. */
export async function renameCredential(deps: PortalDeps, request: PortalRequest, credentialId: string, description: string): Promise<SettingsResult> {
  if (!deps.webauthn) return fail('disabled');
  const who = await changer(deps, request);
  if (!who.ok) return who;
  const name = keyName(description);
  if (name === undefined) return fail('invalid-name');
  const { state, factors } = who.value;
  const credential = factors.credentials.find((c) => c.credentialId === credentialId);
  if (!credential) return fail('unknown-credential');
  const taken = (c: WebAuthnCredential) => c !== credential && c.rpId === credential.rpId && c.description.toLowerCase() === name.toLowerCase();
  if (factors.credentials.some(taken)) return fail('duplicate-name');
  if (!(await deps.webauthn.rename(state.username, credentialId, name))) return fail('unknown-credential');
  deps.logger.info({ username: state.username, credentialId }, 'settings: security key renamed');
  return done(undefined);
}

/** Deletes one of the user's security keys or passkeys. */
export async function removeCredential(deps: PortalDeps, request: PortalRequest, credentialId: string): Promise<SettingsResult> {
  if (!deps.webauthn) return fail('disabled');
  const who = await changer(deps, request);
  if (!who.ok) return who;
  const { state, factors } = who.value;
  const credential = factors.credentials.find((c) => c.credentialId === credentialId);
  if (!credential || !(await deps.webauthn.remove(state.username, credentialId))) return fail('unknown-credential');
  deps.logger.info({ username: state.username, credentialId }, 'settings: security key removed');
  deps.observer.event({ event: 'second_factor', action: 'removed', method: 'webauthn', username: state.username });
  await tellRemoved(deps, state, `Your ${credential.discoverable ? 'passkey' : 'security key'} "${credential.description}"`);
  return done(undefined);
}

/** Saves the method the second-factor page offers first: one the user has. */
export async function choosePreferredMethod(deps: PortalDeps, request: PortalRequest, method: string): Promise<SettingsResult> {
  const who = await changer(deps, request);
  if (!who.ok) return who;
  const { state, factors } = who.value;
  const chosen = factors.methods.find((m) => m === method);
  if (!chosen) return fail('unavailable-method');
  await deps.preferences.setSecondFactorMethod(state.username, chosen);
  deps.logger.info({ username: state.username, method: chosen }, 'settings: preferred second factor chosen');
  return done(undefined);
}

/** Ends another of the user's sessions (single logout tells its OpenID Connect apps). */
export async function endSession(deps: PortalDeps, request: PortalRequest, id: string): Promise<SettingsResult> {
  const state = userOf(request.session);
  if (!state || !request.session) return fail('not-authenticated');
  if (id === request.session.idHash) return fail('current-session');
  const mine = (await sessionsOf(deps, state.username, request.session.idHash)).some((s) => s.id === id);
  if (!mine) {
    deps.logger.warn({ username: state.username, session: id.slice(0, 8) }, 'settings: refused to end a session that is not one of the user’s');
    return fail('unknown-session');
  }
  if (!(await deps.sessions.destroyByHash(id, 'logout'))) return fail('unknown-session');
  deps.logger.info({ username: state.username, session: id.slice(0, 8) }, 'settings: another session signed out');
  return done(undefined);
}

/** Ends every session of the user but this one; returns how many ended. */
export async function endOtherSessions(deps: PortalDeps, request: PortalRequest): Promise<SettingsResult<number>> {
  const state = userOf(request.session);
  if (!state || !request.session) return fail('not-authenticated');
  let ended = 0;
  for (const other of await sessionsOf(deps, state.username, request.session.idHash)) {
    if (!other.current && (await deps.sessions.destroyByHash(other.id, 'logout-everywhere'))) ended++;
  }
  deps.logger.info({ username: state.username, sessions: ended }, 'settings: signed out everywhere else');
  return done(ended);
}

/** E-mails the user that a second factor was removed; a failure to send is logged, never fatal. */
async function tellRemoved(deps: PortalDeps, state: SessionState, what: string): Promise<void> {
  const to = state.emails[0];
  if (!to || !deps.notifier) return;
  try {
    await deps.notifier.send({
      to,
      subject: 'A second factor was removed',
      text: [
        `Hello ${state.displayName || state.username},`,
        '',
        `${what} was removed from your ${deps.productName} account.`,
        '',
        'If this was not you, change your password and sign out your other sessions on the settings page.',
      ].join('\n'),
    });
  } catch (error) {
    deps.logger.error({ err: error, username: state.username }, 'settings: the removal notice could not be sent');
  }
}
