import { normalizePath } from './normalize-path.js';
import { normalizeQuery } from './normalize-query.js';

/** What a request asks for, normalised once; rules match against this. */
export interface Target {
  /** The URL as given. */
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

const absolute = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\\]*)([^#]*)/;

/**
 * Builds the target of a request from its absolute URL (as forwarded by the proxy, fragment
 * ignored) and method.
 * @returns a Refusal when the URL is not absolute, its host is invalid, its path cannot be
 * normalised safely, or the method is not upper-case letters.
 */
export function parseTarget(url: string, method: string): Target | Refusal {
  if (!/^[A-Z]+$/.test(method)) return { refused: `the method '${method}' is not upper-case letters` };
  const parts = absolute.exec(url);
  if (!parts) return { refused: `'${url}' is not an absolute URL` };
  const [, schemeText = '', authority = '', rest = ''] = parts;
  const scheme = schemeText.toLowerCase();
  let host: string;
  try {
    host = new URL(`${scheme}://${authority}/`).hostname;
  } catch {
    return { refused: `'${authority}' is not a valid host` };
  }
  const domain = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (domain === '') return { refused: `'${url}' has no host` };
  const questionMark = rest.indexOf('?');
  const rawPath = questionMark < 0 ? rest : rest.slice(0, questionMark);
  const path = normalizePath(rawPath);
  if (!path.ok) return { refused: `the path '${rawPath}' is refused: ${path.reason}` };
  const query = normalizeQuery(questionMark < 0 ? '' : rest.slice(questionMark + 1));
  if (query === undefined) return { refused: 'the query contains a control character' };
  return {
    url,
    scheme,
    domain,
    method,
    path: path.path,
    query,
    resource: query === '' ? path.path : `${path.path}?${query}`,
    params: new URLSearchParams(query),
  };
}

/** Whether `parseTarget` refused the request. */
export function isRefusal(value: Target | Refusal): value is Refusal {
  return 'refused' in value;
}
