import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** How the client's request looks once trusted proxies in front are accounted for. */
export interface ClientView {
  /** The client address: `X-Forwarded-For` walked back over trusted hops (proxy-addr). */
  readonly ip: string;
  /** `https` / `http`: a trusted peer's last `X-Forwarded-Proto`, else this listener's scheme. */
  readonly proto: string;
  /**
   * `Host`, always: it picks the upstream and the rules. `X-Forwarded-Host` is not used even from
   * a trusted peer, so that a forward-auth question from a trusted proxy (which carries the
   * protected site in `X-Forwarded-Host`) is answered, not proxied.
   */
  readonly host: string | undefined;
}

/** Trust test over `server.trusted_proxies` (the same as fastify's `trustProxy`). */
export type Trust = (address: string, hop: number) => boolean;

/** Reads the client view of `req`, believing `X-Forwarded-For/Proto` only from a trusted peer. */
export function clientView(req: IncomingMessage, trust: Trust): ClientView {
  const peer = req.socket.remoteAddress ?? '';
  const trusted = trust(peer, 0);
  const listener = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (!trusted) return { ip: peer, proto: listener, host: req.headers.host };
  const proto = lastEntry(req.headers['x-forwarded-proto'])?.toLowerCase();
  return {
    ip: proxyAddr(req, trust),
    proto: proto === 'https' || proto === 'http' ? proto : listener,
    host: req.headers.host,
  };
}

function lastEntry(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  if (text === undefined || text === '') return undefined;
  const comma = text.lastIndexOf(',');
  return (comma < 0 ? text : text.slice(comma + 1)).trim() || undefined;
}
