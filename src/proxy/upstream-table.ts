import type { UpstreamConfig } from '../config/proxy.js';
import { normalizePath } from '../rules/normalize-path.js';

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

  /**
   * The upstream for a canonical `hostname` (an Authority's) and the raw origin-form request target.
   * The path is matched in the normal form the rules judge (rules/normalize-path.ts), so that
   * `/%61pp/x` and `//app/x` go where the rules' `/app/x` says, never to a neighbour judged by
   * other rules. A path that has no normal form matches as sent: the rules refuse it anyway.
   */
  match(hostname: string, target: string): UpstreamConfig | undefined {
    const list = this.#byDomain.get(hostname);
    if (list === undefined) return undefined;
    const query = target.indexOf('?');
    const raw = query < 0 ? target : target.slice(0, query);
    const normal = normalizePath(raw);
    const path = normal.ok ? normal.path : raw;
    return list.find((u) => path.startsWith(u.pathPrefix) || path === u.pathPrefix.slice(0, -1));
  }
}
