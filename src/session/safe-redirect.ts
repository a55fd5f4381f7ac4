import type { SessionCookieConfig } from '../config/session.js';
import { allowsPlainHttp, isAuthorityError, isWithinDomain, parseAuthority } from '../shared/authority.js';

/**
 * Whether `target` may be redirected to after login or logout, and its normalised form.
 *
 * Safe means: an absolute URL that the WHATWG parser (what browsers use) reads as `https:` —
 * or `http:` when the matching cookie domain is under `.localhost` — with no user name or
 * password, whose host is a configured cookie domain or below it. Everything else (relative
 * and scheme-relative paths, `javascript:`/`data:`, backslash and userinfo tricks, look-alike
 * hosts, control characters, hosts with empty labels such as `app.example.com..`) is refused.
 * The host is put in the one canonical form that rules and routing use (shared/authority.ts:
 * no trailing dot), and the returned href is the parser's serialisation of that, so what is
 * checked is exactly what the browser is sent to.
 */
export function safeRedirect(target: string | undefined, cookies: readonly SessionCookieConfig[]): URL | undefined {
  if (target === undefined || target === '' || target.length > 8192) return undefined;
  // Refuse raw control characters and spaces outright instead of relying on the parser to strip them.
  if (/[\u0000-\u0020\u007f\\]/.test(target)) return undefined;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '') return undefined;
  const authority = parseAuthority(url.host);
  if (isAuthorityError(authority)) return undefined;
  const cookie = cookies.find((c) => isWithinDomain(authority.hostname, c.domain));
  if (!cookie) return undefined;
  if (url.hostname !== authority.hostname) url.hostname = authority.hostname;
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowsPlainHttp(cookie.domain)) return url;
  return undefined;
}
