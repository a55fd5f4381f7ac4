import type { UpstreamConfig } from '../config/proxy.js';

/**
 * The configured upstreams, looked up by host and path: the longest `path_prefix` of the host's
 * upstreams that the path falls under (`/app/` also takes `/app`). Hosts are canonical on both
 * sides (config/proxy.ts and shared/authority.ts): lower case, no trailing dot, no port.
 */
export class UpstreamTable {
  readonly #byDomain = new Map<string, UpstreamConfig[]>();
  /** Whether any upstream takes WebSocket upgrades (only then does the server listen for them). */
  readonly hasWebsocket: boolean;

  constructor(upstreams: readonly UpstreamConfig[]) {
    for (const upstream of upstreams) {
      const list = this.#byDomain.get(upstream.domain) ?? [];
      list.push(upstream);
      list.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
      this.#byDomain.set(upstream.domain, list);
    }
    this.hasWebsocket = upstreams.some((u) => u.websocket);
  }

  get size(): number {
    return this.#byDomain.size;
  }

  /** The upstream for a canonical `hostname` (an Authority's) and the raw request target. */
  match(hostname: string, target: string): UpstreamConfig | undefined {
    const list = this.#byDomain.get(hostname);
    if (list === undefined) return undefined;
    const query = target.indexOf('?');
    const path = query < 0 ? target : target.slice(0, query);
    return list.find((u) => path.startsWith(u.pathPrefix) || path === u.pathPrefix.slice(0, -1));
  }
}
