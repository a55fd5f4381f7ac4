import type { SessionCookieConfig } from '../../config/session.js';
import { safeRedirect } from '../../session/safe-redirect.js';
import type { SessionState } from '../../session/session.js';
import type { PortalDeps } from '../deps.js';

/** Where a user goes after a step of the login. */
export type NextStep =
  | { readonly kind: 'redirect'; readonly url: URL }
  | { readonly kind: 'second-factor'; readonly target: URL | undefined }
  | { readonly kind: 'authenticated' };

/**
 * After a factor: to the target when it is safe and the level reached is enough for it;
 * to the second factor when the target needs two and the user has one; else to
 * `default_redirection_url` or the "signed in" page.
 */
export function nextStep(
  deps: PortalDeps,
  cookie: SessionCookieConfig,
  state: SessionState,
  input: { targetURL?: string | undefined; requestMethod?: string | undefined; ip: string },
): NextStep {
  const target = safeRedirect(input.targetURL, deps.cookies);
  if (target) {
    const policy = deps.policyFor(target, input.requestMethod ?? 'GET', { username: state.username, groups: state.groups, ip: input.ip });
    if (policy === 'two_factor' && state.level < 2) return { kind: 'second-factor', target };
    return { kind: 'redirect', url: target };
  }
  if (deps.secondFactorUsed && state.level < 2) return { kind: 'second-factor', target: undefined };
  if (cookie.defaultRedirectionUrl) return { kind: 'redirect', url: cookie.defaultRedirectionUrl };
  return { kind: 'authenticated' };
}
