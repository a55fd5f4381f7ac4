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
  }
  return safeRedirect(targetURL, deps.cookies);
}
