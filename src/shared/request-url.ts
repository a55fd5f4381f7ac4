import { type Authority, type AuthorityError, authorityOf, isAuthorityError, type parseAuthority } from './authority.js';

/** What a request asks for, split once: the scheme, the canonical authority, the origin-form target. */
export interface RequestUrl {
  /** Lower-case: `https`. */
  readonly scheme: string;
  readonly authority: Authority;
  /** Path and query as sent, fragment removed: `/a/b?c=d` (always starting with `/`). */
  readonly target: string;
  /** `scheme://host[:port]target` from the canonical parts: what redirects carry. */
  readonly href: string;
}

const absolute = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/**
 * Splits an absolute URL (`X-Original-URL`, a rule test's URL) into a {@link RequestUrl}. The
 * authority goes through {@link parseAuthority}; userinfo (`user@host`) is refused rather than
 * skipped, since the part after `@` is not what a proxy routed on.
 */
export function parseRequestUrl(text: string): RequestUrl | AuthorityError {
  const parts = absolute.exec(text);
  if (!parts) return { reason: 'is not an absolute URL (scheme://host/path)' };
  const [, schemeText = '', authorityText = '', rest = ''] = parts;
  if (authorityText.includes('@')) return { reason: 'has a user name or password (user@host), which is refused' };
  const authority = authorityOf(authorityText);
  if (isAuthorityError(authority)) return { reason: `has the host '${authorityText.slice(0, 80)}', which ${authority.reason}` };
  const hash = rest.indexOf('#');
  const withoutFragment = hash < 0 ? rest : rest.slice(0, hash);
  return requestUrl(schemeText, authority, withoutFragment);
}

/**
 * A {@link RequestUrl} from parts already parsed (forwarded headers): `target` is an origin-form
 * path (`/p?q`); an empty one or a bare query means the root.
 */
export function requestUrl(scheme: string, authority: Authority, target: string): RequestUrl {
  const path = target === '' ? '/' : target.startsWith('?') ? `/${target}` : target;
  const lower = scheme.toLowerCase();
  return { scheme: lower, authority, target: path, href: `${lower}://${authority.host}${path}` };
}
