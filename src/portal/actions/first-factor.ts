import { AuthLevel } from '../../rules/policy.js';
import { anonymousState } from '../../session/session.js';
import type { Session } from '../../session/session.js';
import type { Identity } from '../../auth/users/user.js';
import { passwordLogin } from '../../auth/password-login.js';
import type { PortalDeps } from '../deps.js';
import type { PortalRequest } from '../request-context.js';
import { type NextStep, nextStep } from './next-step.js';

export interface FirstFactorInput {
  readonly username: string;
  readonly password: string;
  readonly keepMeLoggedIn: boolean;
  readonly targetURL?: string | undefined;
  readonly requestMethod?: string | undefined;
}

export interface RequestMeta {
  readonly ip: string;
  readonly method: string;
  readonly uri: string;
  /** The `User-Agent` header (cut to 256 characters), for the settings page's list of sessions. */
  readonly userAgent: string;
}

export type FirstFactorResult = { ok: true; session: Session; next: NextStep } | { ok: false };

/**
 * Password login (`POST /api/firstfactor`, the login form).
 * - Regulation, timing and the canonical account are passwordLogin's (auth/password-login.ts);
 *   every failure gives the same generic answer.
 * - Success starts a fresh session under a new ID at level 1 (`amr: ['pwd']`), remembered
 *   when asked and `remember_me` is enabled, stamped with the user's password fingerprint so
 *   that a password change in the users file ends it.
 */
export async function firstFactor(deps: PortalDeps, request: PortalRequest, input: FirstFactorInput, meta: RequestMeta): Promise<FirstFactorResult> {
  const { user, username, banned } = await passwordLogin(
    { users: deps.users, regulator: deps.regulation },
    {
      login: input.username,
      password: input.password,
      ip: meta.ip,
      requestMethod: meta.method,
      requestUri: meta.uri,
    },
  );
  if (!user) {
    const cause = banned ? 'banned' : 'wrong username or password';
    deps.logger.info({ username, ip: meta.ip, cause }, 'first factor failed');
    return { ok: false };
  }
  const session = await startUserSession(deps, request, user, { level: AuthLevel.oneFactor, amr: ['pwd'], keepMeLoggedIn: input.keepMeLoggedIn }, meta);
  deps.logger.info({ username: user.username, ip: meta.ip }, 'first factor succeeded');
  return { ok: true, session, next: nextStep(deps, request.cookie, session.state, { ...input, ip: meta.ip }) };
}

/**
 * A fresh signed-in session for `user` (who just proved a first factor: a password, a passkey)
 * under a new ID: remembered when asked and `remember_me` is enabled, stamped with the user's
 * password fingerprint and check time (session/user-refresh.ts), and with the device it came
 * from (the settings page lists it).
 */
export async function startUserSession(
  deps: PortalDeps,
  request: PortalRequest,
  user: Identity,
  factors: { readonly level: AuthLevel; readonly amr: readonly string[]; readonly keepMeLoggedIn: boolean },
  meta: RequestMeta,
): Promise<Session> {
  const now = deps.clock.now();
  const base = request.session ?? deps.sessions.create(request.cookie);
  const state = anonymousState(request.cookie.domain, now);
  Object.assign(state, {
    username: user.username,
    displayName: user.displayName,
    groups: [...user.groups],
    emails: [...user.emails],
    level: factors.level,
    amr: [...factors.amr],
    firstFactorAt: now,
    secondFactorAt: factors.level >= AuthLevel.twoFactor ? now : undefined,
    keepMeLoggedIn: factors.keepMeLoggedIn && request.cookie.rememberMe > 0,
    device: { userAgent: meta.userAgent, ip: meta.ip },
  });
  deps.sessions.signedIn(state, base.state);
  return deps.sessions.regenerate(request.cookie, { ...base, state });
}
