import { normalizePath } from '../rules/normalize-path.js';
import type { Target } from '../rules/target.js';
import type { Authority } from '../shared/authority.js';

const defaultPorts: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 };

/**
 * Whether one of `audience` covers the target URL, as Authelia matches a bearer token's
 * granted audience against the URL a proxy asks about (its audience strategy, fosite's
 * `DefaultAudienceMatchingStrategy`): an audience entry that is an absolute URL covers a target
 * with the same scheme, the same host and port (a default port written or not), and a path
 * equal to the entry's or below it on a segment boundary — `https://app.example.com` covers
 * the whole site, `https://app.example.com/api` covers `/api`, `/api/` and `/api/v1` but not
 * `/apix`. Queries and fragments play no part. Entries that are no URL (a client id) cover
 * nothing. Both paths are compared in the rule engine's canonical form (normalize-path.ts).
 */
export function audienceCovers(audience: readonly string[], target: Target, authority: Authority): boolean {
  return audience.some((entry) => entryCovers(entry, target, authority));
}

function entryCovers(entry: string, target: Target, authority: Authority): boolean {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return false;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== target.scheme || defaultPorts[scheme] === undefined) return false;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname !== authority.hostname) return false;
  const port = url.port === '' ? defaultPorts[scheme] : Number(url.port);
  if (port !== (authority.port ?? defaultPorts[scheme])) return false;
  const normalized = normalizePath(url.pathname);
  if (!normalized.ok) return false;
  const allowed = normalized.path.replace(/\/+$/, '');
  return target.path === normalized.path || target.path === allowed || target.path.startsWith(`${allowed}/`);
}
