/**
 * Front-channel logout (OpenID Front-Channel Logout 1.0): the clients a browser session signed
 * into that registered a `frontchannel_logout_uri` are told through the browser — the signed-out
 * page loads each URI in a hidden iframe (§2, §4), and its CSP allows exactly their origins.
 * - A client appears once however many grants the session gave it.
 * - With `frontchannel_logout_session_required`, `iss` (the issuer of the session's ID tokens)
 *   and `sid` are added to the URI's own query (§2); without it the URI is loaded as registered.
 * - The list comes from the session's live grants, which ending the session revokes: it must be
 *   read before the session ends.
 */
import type { OidcDeps } from '../deps.js';

/** One iframe of the signed-out page. */
export interface FrontChannelFrame {
  readonly clientId: string;
  /** `client_name`, or the id when the client has none. */
  readonly clientName: string;
  /** What the iframe loads: the registered URI, with `iss` and `sid` when the client requires them. */
  readonly uri: string;
  /** The URI's origin, for the page's CSP `frame-src`. */
  readonly origin: string;
}

/** What the portal's sign-out needs of front-channel logout. */
export interface FrontChannelPort {
  /** The frames for the browser session `sid` (none without one); call before the session ends. */
  framesOf(sid: string | undefined): Promise<FrontChannelFrame[]>;
}

/** The frames of the clients the browser session `sid` signed into that take front-channel logouts. */
export async function frontChannelFrames(deps: Pick<OidcDeps, 'repository' | 'clients' | 'clock'>, sid: string | undefined): Promise<FrontChannelFrame[]> {
  if (!sid) return [];
  const frames = new Map<string, FrontChannelFrame>();
  for (const grant of await deps.repository.grantsOfSession(sid, deps.clock.now())) {
    const client = deps.clients.get(grant.clientId);
    if (client?.frontchannelLogoutUri === undefined || frames.has(client.id)) continue;
    const url = new URL(client.frontchannelLogoutUri);
    if (client.frontchannelLogoutSessionRequired) {
      url.searchParams.append('iss', grant.data.issuer);
      url.searchParams.append('sid', sid);
    }
    frames.set(client.id, { clientId: client.id, clientName: client.name || client.id, uri: url.href, origin: url.origin });
  }
  return [...frames.values()];
}

export function frontChannelPort(deps: OidcDeps): FrontChannelPort {
  return { framesOf: (sid) => frontChannelFrames(deps, sid) };
}
