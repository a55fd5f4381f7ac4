import type { IncomingMessage } from 'node:http';
import { GatehouseError } from '../shared/errors.js';
import { parseRequestUrl, type RequestUrl } from '../shared/request-url.js';

/** A forwarded header is missing, repeated or garbled; `header` names it for the log. */
export class ForwardedHeaderError extends GatehouseError {
  constructor(
    readonly header: string,
    reason: string,
  ) {
    super('GH_FORWARDED_HEADER', `${header}: ${reason}`);
  }
}

/** Longest target URL or URI accepted from a proxy (longer ones are refused, not truncated). */
export const maxTargetLength = 8192;

/**
 * The headers of one forward-auth request, each read at most once, with every occurrence kept,
 * so that a repeated header is refused instead of silently joined or dropped.
 */
export class ForwardedHeaders {
  #byName: Map<string, string[]> | undefined;

  constructor(private readonly raw: Pick<IncomingMessage, 'rawHeaders' | 'headers'>) {}

  /** The single value of `name`, or undefined when absent. @throws ForwardedHeaderError when repeated. */
  optional(name: string): string | undefined {
    const values = this.#all().get(name.toLowerCase());
    if (values === undefined) return undefined;
    if (values.length > 1) throw new ForwardedHeaderError(name, `is repeated (${values.length} times)`);
    return values[0];
  }

  /** The single value of `name`. @throws ForwardedHeaderError when absent, empty or repeated. */
  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined || value === '') throw new ForwardedHeaderError(name, 'is missing');
    return value;
  }

  /** An upper-case method (`GET`). */
  method(name: string): string {
    const value = this.required(name);
    if (!/^[A-Z]{1,20}$/.test(value)) throw new ForwardedHeaderError(name, `must be an upper-case method but is '${value.slice(0, 40)}'`);
    return value;
  }

  /** An origin-form request target (`/path?query`); `fallback` when absent. */
  uri(name: string, fallback: string): string {
    const value = this.optional(name) ?? fallback;
    if (!value.startsWith('/') || value.startsWith('//'))
      throw new ForwardedHeaderError(name, `must be a path starting with '/' but is '${value.slice(0, 80)}'`);
    checkText(name, value);
    return value;
  }

  /**
   * An absolute http(s) URL, its host parsed under shared/authority.ts (userinfo refused). A `#`
   * is refused: it came from the client's request line, where servers disagree on what it ends.
   */
  url(name: string): RequestUrl {
    const value = this.required(name);
    checkText(name, value);
    if (value.includes('#')) throw new ForwardedHeaderError(name, `has a '#' ('${value.slice(0, 80)}'), which no request target has`);
    const url = parseRequestUrl(value);
    if ('reason' in url) throw new ForwardedHeaderError(name, `'${value.slice(0, 80)}' ${url.reason}`);
    if (url.scheme !== 'http' && url.scheme !== 'https') throw new ForwardedHeaderError(name, `must be an absolute http(s) URL but is '${value.slice(0, 80)}'`);
    return url;
  }

  #all(): Map<string, string[]> {
    if (this.#byName) return this.#byName;
    const map = new Map<string, string[]>();
    const raw = this.raw.rawHeaders;
    if (raw && raw.length > 0) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = raw[i]?.toLowerCase() ?? '';
        const value = raw[i + 1] ?? '';
        const list = map.get(name);
        if (list) list.push(value);
        else map.set(name, [value]);
      }
    } else {
      for (const [name, value] of Object.entries(this.raw.headers)) {
        if (value !== undefined) map.set(name, Array.isArray(value) ? value : [value]);
      }
    }
    this.#byName = map;
    return map;
  }
}

/** Refuses control characters, spaces, non-ASCII bytes, backslashes and over-long values (fail closed, CVE-2021-32637). */
function checkText(name: string, value: string): void {
  if (value.length > maxTargetLength) throw new ForwardedHeaderError(name, `is longer than ${maxTargetLength} characters`);
  if (/[^\u0021-\u007e]|\\/.test(value)) throw new ForwardedHeaderError(name, 'contains a space, control character, non-ASCII byte or backslash');
}
