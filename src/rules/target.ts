import { parseRequestUrl, type RequestUrl } from '../shared/request-url.js';
import { normalizePath } from './normalize-path.js';
import { normalizeQuery } from './normalize-query.js';

/** What a request asks for, normalised once; rules match against this. */
export interface Target {
  /** The URL from its canonical parts (lower-case host without a trailing dot). */
  readonly url: string;
  /** Lower-case: `https`. */
  readonly scheme: string;
  /** Lower-case host name, without a trailing dot or IPv6 brackets. */
  readonly domain: string;
  /** Upper-case, as sent: `GET`. */
  readonly method: string;
  /** The normalised path (see normalize-path.ts). */
  readonly path: string;
  /** The canonical query, without `?`; `''` when there is none (a trailing `?` is none). */
  readonly query: string;
  /** What `resources` match: `path`, plus `?query` when `query` is not empty. */
  readonly resource: string;
  /** The decoded query arguments, for `query` criteria. */
  readonly params: URLSearchParams;
}

/** A request the engine will not decide on; the caller answers 403. `reason` is for the log. */
export interface Refusal {
  readonly refused: string;
}

/**
 * Builds the target of a request from its URL, split and canonicalised once
 * (shared/request-url.ts: the same host value that routed the request), and its method.
 * @returns a Refusal when the path cannot be normalised safely, the target holds a `#` (no
 * client sends a fragment, and servers disagree on whether it ends the path: `/public#/../admin`
 * is `/public` to one and `/admin` to another), or the method is not upper-case letters.
 */
export function targetOf(url: RequestUrl, method: string): Target | Refusal {
  if (!/^[A-Z]+$/.test(method)) return { refused: `the method '${method}' is not upper-case letters` };
  const rest = url.target;
  if (rest.includes('#')) return { refused: `the target '${rest.slice(0, 200)}' has a '#', which no request target has` };
  const questionMark = rest.indexOf('?');
  const rawPath = questionMark < 0 ? rest : rest.slice(0, questionMark);
  const path = normalizePath(rawPath);
  if (!path.ok) return { refused: `the path '${rawPath}' is refused: ${path.reason}` };
  const query = normalizeQuery(questionMark < 0 ? '' : rest.slice(questionMark + 1));
  if (query === undefined) return { refused: 'the query contains a control character' };
  return {
    url: url.href,
    scheme: url.scheme,
    domain: url.authority.hostname,
    method,
    path: path.path,
    query,
    resource: query === '' ? path.path : `${path.path}?${query}`,
    params: new URLSearchParams(query),
  };
}

/**
 * {@link targetOf} for an absolute URL given as text (a rule test case, `gatehouse rules explain`):
 * refused when the URL is not absolute or its host is not one (shared/authority.ts).
 */
export function parseTarget(url: string, method: string): Target | Refusal {
  const parsed = parseRequestUrl(url);
  if ('reason' in parsed) return { refused: `'${url.slice(0, 200)}' ${parsed.reason}` };
  return targetOf(parsed, method);
}

/** Whether `parseTarget` refused the request. */
export function isRefusal(value: Target | Refusal): value is Refusal {
  return 'refused' in value;
}
