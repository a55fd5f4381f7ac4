import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { type Authority, authorityOf, isAuthorityError, type parseAuthority } from '../authority.js';
import { canonicalIp } from '../client-ip.js';
import { parseRequestUrl } from '../request-url.js';

/** Whether a peer address is a trusted proxy (`server.trusted_proxies`); proxy-addr's signature. */
export type TrustFunction = (address: string, hop: number) => boolean;

/**
 * How one request looks once trusted proxies in front are accounted for, read once per request
 * by {@link readRequestView} and then shared by everything that decides (rules, cookie domain,
 * issuer, redirects) and everything that acts (upstream routing, proxying).
 */
export interface RequestView {
  /** The socket's peer address, canonical (`::ffff:10.0.0.1` → `10.0.0.1`). */
  readonly peer: string;
  /** Whether the peer is in `server.trusted_proxies`: only then are `X-Forwarded-*` believed. */
  readonly trusted: boolean;
  /** The client address: `X-Forwarded-For` walked back over trusted hops (proxy-addr), canonical. */
  readonly ip: string;
  /** A trusted peer's `X-Forwarded-Proto`, else this listener's scheme. */
  readonly proto: 'http' | 'https';
  /** The `Host` header, parsed; undefined only for a request without one (HTTP/1.0). */
  readonly host: Authority | undefined;
  /** A trusted peer's `X-Forwarded-Host`, parsed; undefined when absent or from an untrusted peer. */
  readonly forwardedHost: Authority | undefined;
  /** The authority the client used: `forwardedHost`, else `host`. */
  readonly authority: Authority | undefined;
}

/** A request whose host or forwarding headers cannot be read: answered 400 before routing or deciding. */
export interface RequestViewError {
  /** The header at fault (`Host`, `X-Forwarded-Host`, `X-Forwarded-Proto`, or the request target). */
  readonly header: string;
  /** `Host: the host 'a..b' has an empty label …`: for the log and the 400 page. */
  readonly message: string;
}

const memo = Symbol('gatehouse.requestView');

type Memo = { [memo]?: RequestView | RequestViewError };

/**
 * Reads (once; later calls return the first answer) how `req` looks to Gatehouse:
 * - `Host` must be sent at most once (RFC 9112 §3.2) and parse under {@link parseAuthority};
 * - an absolute-form target (`GET http://host/path`) must name the same authority as `Host`;
 * - from a trusted peer only: `X-Forwarded-Host` must be one host (empty = absent; repeated or a
 *   list is refused) that parses the same way, `X-Forwarded-Proto` must be `http` or `https`
 *   (any case; a list is refused), `X-Forwarded-For` gives the client.
 * From an untrusted peer the forwarding headers are ignored, never an error.
 */
export function readRequestView(req: IncomingMessage, trust: TrustFunction): RequestView | RequestViewError {
  const known = (req as Memo)[memo];
  if (known !== undefined) return known;
  const view = read(req, trust);
  (req as Memo)[memo] = view;
  return view;
}

/**
 * The view {@link readRequestView} recorded for `req` (the server reads it before routing).
 * @throws Error when none was recorded or it was an error: a handler ran before the server's gate.
 */
export function requestViewOf(req: IncomingMessage): RequestView {
  const view = (req as Memo)[memo];
  if (view === undefined || isRequestViewError(view)) throw new Error('the request view was not read before this handler ran');
  return view;
}

export function isRequestViewError(value: RequestView | RequestViewError): value is RequestViewError {
  return 'message' in value;
}

function read(req: IncomingMessage, trust: TrustFunction): RequestView | RequestViewError {
  const peer = canonicalIp(req.socket.remoteAddress ?? '');
  const trusted = trust(peer, 0);
  const listener = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (countHost(req.rawHeaders) > 1) return { header: 'Host', message: 'Host: the request has more than one Host header (RFC 9112 §3.2)' };
  const hostText = req.headers.host;
  let host: Authority | undefined;
  if (hostText !== undefined) {
    const parsed = authorityOf(hostText);
    if (isAuthorityError(parsed)) return { header: 'Host', message: `Host: the host '${shown(hostText)}' ${parsed.reason}` };
    host = parsed;
  }
  const target = req.url ?? '/';
  if (!target.startsWith('/') && target !== '*') {
    const absolute = parseRequestUrl(target);
    if ('reason' in absolute) return { header: 'request target', message: `request target: '${shown(target)}' ${absolute.reason}` };
    if (host === undefined || absolute.authority.host !== host.host) {
      return { header: 'request target', message: `request target: the authority of '${shown(target)}' is not the Host header's` };
    }
  }
  if (!trusted) return { peer, trusted, ip: peer, proto: listener, host, forwardedHost: undefined, authority: host };

  const protoText = req.headers['x-forwarded-proto'];
  let proto: 'http' | 'https' = listener;
  if (protoText !== undefined) {
    const lower = (Array.isArray(protoText) ? protoText.join(',') : protoText).toLowerCase();
    if (lower !== 'http' && lower !== 'https') {
      return { header: 'X-Forwarded-Proto', message: `X-Forwarded-Proto: must be 'http' or 'https' but is '${shown(String(protoText))}'` };
    }
    proto = lower;
  }
  const forwardedText = req.headers['x-forwarded-host'];
  let forwardedHost: Authority | undefined;
  // An empty value is no value (the host is then `Host`'s).
  if (forwardedText !== undefined && forwardedText !== '') {
    const text = Array.isArray(forwardedText) ? forwardedText.join(', ') : forwardedText;
    // Node joins repeated lines with ', ': one message for both, never a pick of one of them.
    if (text.includes(',')) return { header: 'X-Forwarded-Host', message: `X-Forwarded-Host: is repeated or a list ('${shown(text)}'); it must name one host` };
    const parsed = authorityOf(text);
    if (isAuthorityError(parsed)) return { header: 'X-Forwarded-Host', message: `X-Forwarded-Host: the host '${shown(text)}' ${parsed.reason}` };
    forwardedHost = parsed;
  }
  return { peer, trusted, ip: canonicalIp(proxyAddr(req, trust)), proto, host, forwardedHost, authority: forwardedHost ?? host };
}

function countHost(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

/** At most 80 characters of a header value, control characters escaped, for messages and logs. */
function shown(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
