import type { UpstreamConfig } from '../config/proxy.js';

/**
 * The configured upstreams, looked up by host and path: the longest `path_prefix` of the host's
 * upstreams that the path falls under (`/app/` also takes `/app`). Hosts compare without case,
 * port or trailing dot.
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

  /** The upstream for `host` (as sent, maybe with port) and the raw request target. */
  match(host: string | undefined, target: string): UpstreamConfig | undefined {
    if (host === undefined || this.#byDomain.size === 0) return undefined;
    const list = this.#byDomain.get(hostName(host));
    if (list === undefined) return undefined;
    const query = target.indexOf('?');
    const path = query < 0 ? target : target.slice(0, query);
    return list.find((u) => path.startsWith(u.pathPrefix) || path === u.pathPrefix.slice(0, -1));
  }
}

/** `App.Example.com.:8443` → `app.example.com`; `[::1]:80` → `::1`. */
export function hostName(host: string): string {
  let name = host;
  if (name.startsWith('[')) name = name.slice(1, name.indexOf(']') < 0 ? undefined : name.indexOf(']'));
  else {
    const colon = name.lastIndexOf(':');
    if (colon >= 0) name = name.slice(0, colon);
  }
  return name.toLowerCase().replace(/\.$/, '');
}
