import { AuthLevel } from '../../rules/policy.js';
import { anonymousState } from '../../session/session.js';
import type { Session } from '../../session/session.js';
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
  const now = deps.clock.now();
  const base = request.session ?? deps.sessions.create(request.cookie);
  const state = anonymousState(request.cookie.domain, now);
  Object.assign(state, {
    username: user.username,
    displayName: user.displayName,
    groups: [...user.groups],
    emails: [...user.emails],
    level: AuthLevel.oneFactor,
    amr: ['pwd'],
    firstFactorAt: now,
    keepMeLoggedIn: input.keepMeLoggedIn && request.cookie.rememberMe > 0,
  });
  // The password fingerprint and check time that later uses compare against (session/user-refresh.ts).
  deps.sessions.signedIn(state, base.state);
  const session = await deps.sessions.regenerate(request.cookie, { ...base, state });
  deps.logger.info({ username: user.username, ip: meta.ip }, 'first factor succeeded');
  return { ok: true, session, next: nextStep(deps, request.cookie, state, { ...input, ip: meta.ip }) };
}
