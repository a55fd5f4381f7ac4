import type { SessionCookieConfig } from '../config/session.js';
import { allowsPlainHttp } from '../shared/authority.js';

/**
 * Security headers for every portal page and API answer:
 * - CSP: only our own stylesheet and script, images from ourselves or `data:` (QR codes), no
 *   framing, no plugins; forms may post to ourselves and — because the browser checks every
 *   redirect after a form post against `form-action` — to the cookie domains and the origins of
 *   the OpenID Connect clients' redirect URIs (a login that resumes an authorization ends there).
 * - `X-Frame-Options: DENY` for browsers without `frame-ancestors`, `nosniff`, no referrer
 *   (targets in query strings must not leak), and `no-store`: these pages carry secrets.
 */
export function portalSecurityHeaders(
  cookies: readonly SessionCookieConfig[],
  /** Other origins a post-login redirect chain may reach (OIDC clients' redirect URIs). */
  extraFormTargets: readonly string[] = [],
): Record<string, string> {
  const formTargets = cookies.flatMap((c) => {
    const schemes = allowsPlainHttp(c.domain) ? ['https', 'http'] : ['https'];
    return schemes.flatMap((s) => [`${s}://${c.domain}:*`, `${s}://*.${c.domain}:*`]);
  });
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `form-action 'self' ${[...formTargets, ...extraFormTargets].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/**
 * The portal's CSP (`csp`, from {@link portalSecurityHeaders}) widened for one sign-out answer:
 * `frame-src` allows exactly `frameOrigins` (the front-channel logout iframes; without it
 * `default-src 'none'` forbids every frame), and `form-action` also allows `formTargets` (where
 * the sign-out confirmation's redirect ends). Origins come from configured client URIs only.
 */
export function widenForSignOut(csp: string, frameOrigins: readonly string[], formTargets: readonly string[]): string {
  const frames = [...new Set(frameOrigins)];
  let widened = formTargets.length > 0 ? csp.replace("form-action 'self'", `form-action 'self' ${[...new Set(formTargets)].join(' ')}`) : csp;
  if (frames.length > 0) widened += `; frame-src ${frames.join(' ')}`;
  return widened;
}
