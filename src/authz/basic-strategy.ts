import type { Regulator } from '../auth/regulation/regulator.js';
import type { Identity, UserBackend } from '../auth/users/user.js';
import { passwordLogin } from '../auth/password-login.js';

/** The challenge of a failed (or too weak) Basic login: Authelia's realm. */
export const basicChallenge = 'Basic realm="Authorization Required"';

/** A user name and password from an `Authorization: Basic` (or `Proxy-Authorization`) header. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** Checks Basic credentials for one request; `reason` is for the log. */
export type BasicCheck = (
  credentials: BasicCredentials,
  request: { readonly ip: string; readonly method: string; readonly url: { readonly href: string } },
) => Promise<{ readonly ok: true; readonly user: Identity } | { readonly ok: false; readonly reason: string }>;

/**
 * HTTP Basic as a first factor (Authelia's `HeaderAuthorization` strategy): the login is
 * resolved to its canonical user name before the ban check (so spellings share one counter),
 * the password is always verified, and every attempt is recorded for regulation like a portal
 * login. A banned user fails even with the right password.
 */
export function basicChecker(deps: {
  readonly users: Pick<UserBackend, 'find' | 'checkPassword'>;
  readonly regulator: Pick<Regulator, 'check' | 'record'>;
}): BasicCheck {
  return async (credentials, request) => {
    const { user, username, banned } = await passwordLogin(deps, {
      login: credentials.username,
      password: credentials.password,
      ip: request.ip,
      requestMethod: request.method,
      requestUri: request.url.href,
    });
    if (user) return { ok: true, user };
    return { ok: false, reason: banned ? `Basic credentials of banned user '${username}'` : `wrong Basic credentials for '${username}'` };
  };
}

/**
 * Reads `Basic <base64(user:password)>`. Absent header or another scheme (a Bearer token,
 * bearer-strategy.ts) → undefined; a Basic header that does not decode to `user:password`
 * with a non-empty user → `'malformed'`.
 */
export function parseBasic(header: string | undefined): BasicCredentials | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const match = /^basic[ ]+([A-Za-z0-9+/=]*)[ ]*$/i.exec(header);
  if (!match) return /^basic(?:\s|$)/i.test(header) ? 'malformed' : undefined;
  const text = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || /[\u0000-\u001f\u007f]/.test(text)) return 'malformed';
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
