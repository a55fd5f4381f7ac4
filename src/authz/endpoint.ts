import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { parse as parseQuery } from 'fast-querystring';
import type { Authority } from '../shared/authority.js';
import type { RequestView } from '../shared/http/request-view.js';
import type { Authorizer, AuthzQuery } from './evaluate.js';
import { ForwardedHeaderError, type ForwardedHeaders } from './headers.js';

/** What the forward-auth endpoints are given by server/. */
export interface AuthzDeps {
  readonly authorizer: Authorizer;
}

/** The query parameters the endpoints read (any other is ignored). */
export interface AuthzParams {
  readonly authelia_url?: string;
  readonly portal_url?: string;
  readonly rd?: string;
  readonly auth?: string;
}

/**
 * Each parameter and its longest accepted value, in the order they are checked: a repeated
 * parameter or a longer value is refused with 400 before anything is read (authz/http.ts).
 * The bounds are the portal-URL limit of the portal's own forms and Authelia's `auth` values.
 */
const paramBounds: readonly (readonly [keyof AuthzParams, number])[] = [
  ['authelia_url', 2048],
  ['portal_url', 2048],
  ['rd', 2048],
  ['auth', 16],
];

/**
 * The request target split as the router splits it: the path before the first `?` or `#`, the
 * query after it. A fragment is never sent by a client; a stray `#` does not hide the query.
 */
export function splitTarget(target: string): { readonly path: string; readonly query: string } {
  for (let i = 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return { path: target.slice(0, i), query: target.slice(i + 1) };
  }
  return { path: target, query: '' };
}

/**
 * The endpoints' query parameters, read from the raw query (`fast-querystring`, the router's own
 * parser, so a value decodes the same everywhere). A string is why they are refused, worded
 * `querystring/<name> …` as the portal's schema errors are.
 */
export function readParams(query: string): AuthzParams | string {
  if (query === '') return {};
  const parsed = parseQuery(query) as Record<string, string | string[] | undefined>;
  for (const [name, max] of paramBounds) {
    const value = parsed[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return `querystring/${name} must be string`;
    if (value.length > max && [...value].length > max) return `querystring/${name} must NOT have more than ${max} characters`;
  }
  return parsed as AuthzParams;
}

/** One forward-auth request as a flavour reads it. */
export interface AuthzInput {
  /** The request's own method (`GET` for most proxies; ext-authz and legacy forward the client's). */
  readonly method: string;
  /** The raw request target (`/api/authz/ext-authz/path?query`). */
  readonly target: string;
  readonly params: AuthzParams;
  /** The request's headers, each read at most once and refused when repeated. */
  readonly headers: ForwardedHeaders;
  /** What the listener already read (host, `X-Forwarded-Host/Proto`, client IP): never re-read. */
  readonly view: RequestView;
  /** The value of a cookie of the request, by name (the `Cookie` header parsed on first use). */
  readonly cookie: (name: string) => string | undefined;
}

/** What an endpoint's strategies read from a request (authz/strategies.ts). */
export interface Credentials extends Pick<AuthzQuery, 'basic' | 'authorization' | 'cookie'> {
  /** The credentials came from `HeaderProxyAuthorization`: a challenge is a 407 `Proxy-Authenticate`. */
  readonly proxyChallenge: boolean;
}

/**
 * Reads one implementation's headers into a query, with the credentials its strategies read
 * (authz/strategies.ts); throws ForwardedHeaderError naming a bad header.
 */
export type QueryReader = (input: AuthzInput, credentials: Credentials) => AuthzQuery;

/** The authority a flavour requires (`X-Forwarded-Host` or `Host`), already parsed by the listener. */
export function requiredHost(name: string, authority: Authority | undefined): Authority {
  if (authority === undefined) throw new ForwardedHeaderError(name, 'is missing');
  return authority;
}

/** The cookie reader of a request: its `Cookie` header is parsed once, on the first call. */
export function cookiesOf(req: Pick<IncomingMessage, 'headers'>): (name: string) => string | undefined {
  let jar: Record<string, string | undefined> | undefined;
  return (name) => {
    if (jar === undefined) {
      const header = req.headers.cookie;
      jar = header === undefined ? {} : parseCookies(header);
    }
    return jar[name];
  };
}

/** The `authelia_url` / `portal_url` query override. */
export function portalOverride(params: AuthzParams): string | undefined {
  return params.portal_url ?? params.authelia_url;
}
