import { isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { boundedMemo } from './bounded-memo.js';

/**
 * The host (and port) a request is for, parsed once and in canonical form. Everything that
 * decides (rules, issuer, cookie domain, redirects) and everything that acts (upstream routing,
 * proxying) reads this value, never the raw header.
 */
export interface Authority {
  /**
   * Lower-case DNS name without a trailing dot (`app.example.com`), dotted-quad IPv4
   * (`192.0.2.1`) or IPv6 without brackets in RFC 5952 form (`2001:db8::1`).
   */
  readonly hostname: string;
  /** The port as sent, or undefined when there is none (an empty port is none, RFC 3986 §6.2.3). */
  readonly port: number | undefined;
  /** `hostname[:port]`, IPv6 in brackets: what a URL built from this authority carries. */
  readonly host: string;
}

/** Why a text is not an authority; `reason` completes "the host '…' …" and is safe to log. */
export interface AuthorityError {
  readonly reason: string;
}

/** Longest authority accepted (a DNS name is at most 253 characters, plus a port). */
const maxLength = 261;
const labelChars = /^[a-z0-9_-]+$/;
const ipv4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** A last label that WHATWG URL parsers (browsers, Node's URL) read as a number: the host is then an IPv4 address to them. */
const numericLabel = /^(?:\d+|0x[0-9a-f]*)$/;

/**
 * Parses a `Host`-style authority (`App.Example.com.:8443`, `[::1]:80`, `192.0.2.1`) under
 * RFC 3986 §3.2.2–3.2.3, narrowed to what names a web host unambiguously:
 * - a DNS name of labels `[A-Za-z0-9_-]` (1–63 characters, 253 in all), lower-cased, one
 *   trailing dot dropped; an empty label anywhere (`a..b`, `.a`, `a..`) is refused;
 * - a host whose last label is a number must be a canonical dotted-quad IPv4 address
 *   (`0x7f.1`, `1.2.3.04`, `3232235777` are refused: parsers disagree on them);
 * - `[IPv6]` without a zone; IPvFuture is refused;
 * - an optional `:port` of at most 5 digits, 65535 at most.
 * Anything else — userinfo (`@`), `/ ? #`, a second `:`, spaces, percent-encoding, non-ASCII —
 * is refused: such a host means something else to every component that reads it.
 */
export function parseAuthority(text: string): Authority | AuthorityError {
  if (text === '') return { reason: 'is empty' };
  if (text.length > maxLength) return { reason: `is longer than ${maxLength} characters` };
  const foreign = /[@/?#\\]/.exec(text);
  if (foreign) return { reason: `contains '${foreign[0]}', which no host has (a user name, path, query or fragment)` };
  let hostText: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { reason: "has '[' without ']'" };
    hostText = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { reason: `has '${printable(rest.slice(0, 1))}' after the IPv6 address` };
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = text.indexOf(':');
    hostText = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  const port = parsePort(portText);
  if (typeof port === 'object') return port;
  const hostname = hostText.startsWith('[') ? parseIpLiteral(hostText) : parseHostname(hostText);
  if (typeof hostname === 'object') return hostname;
  const bracketed = hostname.includes(':') ? `[${hostname}]` : hostname;
  return { hostname, port, host: port === undefined ? bracketed : `${bracketed}:${port}` };
}

/** Most authority texts whose parse is remembered by {@link authorityOf}: a gateway serves a few hosts. */
export const authorityMemoSize = 1024;

/**
 * {@link parseAuthority}, remembered for the last {@link authorityMemoSize} texts (a bounded
 * memo: all forgotten past it) and frozen: a request's `Host`, `X-Forwarded-Host` or
 * `X-Original-URL` host is parsed once per distinct text, not once per request.
 */
export const authorityOf = boundedMemo(authorityMemoSize, (text: string): Authority | AuthorityError => Object.freeze(parseAuthority(text)));

/** Whether `parseAuthority` refused its input. */
export function isAuthorityError(value: Authority | AuthorityError): value is AuthorityError {
  return 'reason' in value;
}

/**
 * A host name as written by an administrator (a rule domain, an upstream domain): IDNA to
 * punycode (`bücher.example.com` → `xn--bcher-kva.example.com`, UTS #46 as browsers do),
 * lower case, one trailing dot dropped, then the same checks as a request's host. No port.
 * @returns the canonical name, or the reason it is refused.
 */
export function canonicalHostname(text: string): string | AuthorityError {
  if (text.includes(':') && !text.startsWith('[')) return { reason: 'must not contain a port or a colon' };
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\u0000-\u007f]*$/.test(text) ? text : domainToASCII(text);
  if (ascii === '') return { reason: 'is not a valid internationalised domain name' };
  const parsed = parseAuthority(ascii);
  if (isAuthorityError(parsed)) return parsed;
  if (parsed.port !== undefined) return { reason: 'must not contain a port' };
  return parsed.hostname;
}

/** `scheme://host[:port]` with the scheme's default port left out (80 for http/ws, 443 for https/wss). */
export function originOf(scheme: string, authority: Authority): string {
  const defaultPort = scheme === 'https' || scheme === 'wss' ? 443 : scheme === 'http' || scheme === 'ws' ? 80 : undefined;
  const host = authority.port === undefined || authority.port === defaultPort ? withBrackets(authority.hostname) : authority.host;
  return `${scheme}://${host}`;
}

/**
 * Whether `hostname` is `domain` or a name below it (a DNS suffix test on whole labels):
 * `app.example.com` and `example.com` are within `example.com`, `badexample.com` is not.
 * `domain` is canonical (lower case, no trailing dot); `hostname` is compared ignoring case and
 * one trailing dot. This is how a request's host finds its cookie domain.
 */
export function isWithinDomain(hostname: string, domain: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === domain || h.endsWith(`.${domain}`);
}

/**
 * Whether plain http is acceptable for a cookie domain: only `localhost` and names under
 * `.localhost`, which browsers resolve to loopback (RFC 6761 §6.3).
 */
export function allowsPlainHttp(domain: string): boolean {
  return domain === 'localhost' || domain.endsWith('.localhost');
}

function withBrackets(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

function parsePort(text: string | undefined): number | undefined | AuthorityError {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,5}$/.test(text)) return { reason: `has the port '${printable(text.slice(0, 20))}', which is not a number` };
  const port = Number(text);
  if (port > 65535) return { reason: `has the port ${port}, above 65535` };
  return port;
}

function parseIpLiteral(text: string): string | AuthorityError {
  const inner = text.slice(1, -1);
  if (/^v/i.test(inner)) return { reason: 'is an IPvFuture literal, which is not supported' };
  if (inner.includes('%')) return { reason: 'has an IPv6 zone, which is not allowed in a URL host' };
  if (!isIPv6(inner)) return { reason: `has '${printable(inner.slice(0, 50))}' in brackets, which is not an IPv6 address` };
  return ipaddr.IPv6.parse(inner).toRFC5952String();
}

function parseHostname(text: string): string | AuthorityError {
  if (text === '') return { reason: 'has no host name' };
  const name = (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
  if (name.length > 253) return { reason: 'is longer than 253 characters' };
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return { reason: 'has an empty label (two dots in a row, or a leading or second trailing dot)' };
    if (label.length > 63) return { reason: 'has a label longer than 63 characters' };
    if (!labelChars.test(label)) {
      const bad = [...label].find((c) => !/[a-z0-9_-]/.test(c)) ?? '';
      return { reason: `contains ${describe(bad)}, which no host name has` };
    }
  }
  if (numericLabel.test(labels[labels.length - 1] ?? '') && !ipv4.test(name)) {
    return { reason: 'ends in a number but is not a dotted-quad IPv4 address such as 192.0.2.1' };
  }
  // A fresh, flat string: a slice of the header would stay a view into it, and every Map lookup
  // by domain (rules, cookie domains, upstreams) would then compare it the slow way (~4× slower).
  return labels.join('.');
}

function describe(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0x20 || code === 0x7f) return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code > 0x7f ? `the non-ASCII character '${char}' (send the punycode form, xn--…)` : `'${char}'`;
}

/** `text` with control characters shown as `\xNN`, for messages. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
