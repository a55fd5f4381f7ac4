import { safeRedirect } from '../../session/safe-redirect.js';
import type { PortalDeps } from '../deps.js';
import type { PortalRequest } from '../request-context.js';

/**
 * Ends the session (`POST /api/logout`, the logout form): deleted from the store, so it is
 * over on every site under the cookie domain at once. Returns the safe target, if any.
 */
export async function logout(deps: PortalDeps, request: PortalRequest, targetURL: string | undefined): Promise<URL | undefined> {
  if (request.session) {
    await deps.sessions.destroy(request.session);
    deps.logger.info({ username: request.session.state.username || undefined }, 'signed out');
    if (request.session.state.username) deps.observer.event({ event: 'logout', kind: 'portal', username: request.session.state.username });
  }
  return safeRedirect(targetURL, deps.cookies);
}

/**
 * Ends every session of the signed-in user, in every browser (`POST /logout/everywhere`, `POST
 * /api/logout/everywhere`): each is announced as `logout-everywhere`, so single logout tells
 * every OpenID Connect client of each. Returns how many ended, or undefined when nobody is
 * signed in.
 */
export async function logoutEverywhere(deps: PortalDeps, request: PortalRequest): Promise<number | undefined> {
  const username = request.session?.state.username;
  if (!username) return undefined;
  const ended = await deps.sessions.destroyUser(username, 'logout-everywhere');
  deps.logger.info({ username, sessions: ended }, 'signed out everywhere');
  deps.observer.event({ event: 'logout', kind: 'everywhere', username });
  return ended;
}
