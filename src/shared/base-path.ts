/**
 * The path Gatehouse serves its own pages, API and OpenID Connect provider under (`server.path`,
 * or the path of `server.address`): `''` for the root, else one segment such as `/auth`.
 *
 * Both directions live here, so that they cannot drift: the listener strips the base from a
 * request once ({@link stripBasePath}; a target outside it is served as sent, as Authelia does), and every URL Gatehouse writes for itself — links and
 * form actions in pages, redirects, e-mail links, the OpenID Connect issuer — is built with
 * {@link ownPath}.
 */

/**
 * The origin-form target with `base` removed (`/auth/api/state?x` → `/api/state?x`; `/auth` and
 * `/auth?q` → `/` and `/?q`), or undefined when the target is not under `base` (`/api/state`,
 * `/authx`, `*`). An absolute-form target (`http://host/auth/x`) is read by its path. With the
 * root as base every target is returned as it is. The match is on the bytes sent: a
 * percent-encoded spelling of the base (`/%61uth/`) is not under it.
 */
export function stripBasePath(base: string, target: string): string | undefined {
  if (base === '') return target;
  const path = originForm(target);
  if (path === undefined || !path.startsWith(base)) return undefined;
  const rest = path.slice(base.length);
  if (rest === '') return '/';
  if (rest.startsWith('/')) return rest;
  if (rest.startsWith('?')) return `/${rest}`;
  return undefined;
}

/**
 * Gatehouse's own path `path` (which starts with `/`) under `base`: `ownPath('/auth', '/login')`
 * is `/auth/login`, `ownPath('/auth', '/')` is `/auth/`, and with the root as base `path` itself.
 */
export function ownPath(base: string, path: string): string {
  return `${base}${path}`;
}

/** The origin-form part of a request target; undefined for `*` or an unreadable absolute form. */
function originForm(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/s.exec(target);
  if (!match) return undefined;
  const rest = match[1] ?? '';
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
}
