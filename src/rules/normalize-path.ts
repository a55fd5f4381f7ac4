/**
 * Path normalisation applied before `resources` are matched, so that every spelling of a path
 * that a server may treat as the same resource is matched as one canonical string — and a
 * path that servers disagree about is refused instead of matched loosely.
 *
 * Canonical form, per segment: text after a raw `;` (path parameters) is dropped; percent-escapes
 * are decoded, then every byte outside `A–Z a–z 0–9 - . _ ~ ! $ & ' ( ) * + , = : @` is
 * percent-encoded with upper-case hex (so `%7e`, `%7E` and `~` are one spelling, as are ` ` and
 * `%20`); `.` and `..` segments (also `%2e`, `%2E%2e`) are removed as RFC 3986 §5.2.4 says, `..`
 * stopping at the root; empty segments (duplicate slashes) are dropped; a trailing slash is kept.
 *
 * Refused: a path not starting with `/`; a backslash raw or encoded (`%5C`) and an encoded slash
 * (`%2F`), which some servers treat as separators and others do not; a malformed escape (`%zz`);
 * a double escape (`%252e`); control characters, raw or encoded; bytes that are not UTF-8 once
 * decoded (overlong `%C0%AE`); a path parameter on an empty or dot segment (`/..;x/`); and
 * duplicate slashes before a `..` (`/a//../b` is `/a/b` or `/b` depending on the server).
 */
export type NormalizedPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

const keptRaw = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * A path already in canonical form: segments of kept characters only (no escape, `;`, empty,
 * `.` or `..` segment), a trailing slash allowed. Most requests are such a path, and it is its
 * own normal form: this test spares them the per-byte pass (hot on the forward-auth path).
 */
const alreadyCanonical = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,=:@]+)*\/?$/;

/** Normalises a raw request path (without query or fragment). */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.length > 0 && raw.length <= 2048 && alreadyCanonical.test(raw)) return { ok: true, path: raw };
  return normalizeEachByte(raw);
}

/** {@link normalizePath} for any path, byte by byte (exported for the property test that both agree). */
export function normalizeEachByte(raw: string): NormalizedPath {
  if (raw === '') return { ok: true, path: '/' };
  if (!raw.startsWith('/')) return refuse(`it does not start with '/'`);
  if (raw.includes('\\')) return refuse('it contains a backslash');
  const segments: string[] = [];
  for (const rawSegment of raw.slice(1).split('/')) {
    const semicolon = rawSegment.indexOf(';');
    const name = semicolon < 0 ? rawSegment : rawSegment.slice(0, semicolon);
    const canonical = canonicalSegment(name);
    if (!canonical.ok) return canonical;
    if (semicolon >= 0 && (canonical.path === '' || canonical.path === '.' || canonical.path === '..')) {
      return refuse(`it has a ';' parameter on an empty or dot segment ('${rawSegment}')`);
    }
    segments.push(canonical.path);
  }
  const merged = removeDots(segments.filter((s, i) => s !== '' || i === segments.length - 1));
  const unmerged = removeDots(segments).replace(/\/{2,}/g, '/');
  if (merged !== unmerged) return refuse(`servers disagree on it: '${merged}' once duplicate slashes are merged, '${unmerged}' if not`);
  return { ok: true, path: merged };
}

function refuse(reason: string): NormalizedPath {
  return { ok: false, reason };
}

/** RFC 3986 §5.2.4 over segments; returns the path with its leading `/`. */
function removeDots(segments: readonly string[]): string {
  const out: string[] = [];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (last) out.push('');
    } else out.push(segment);
  });
  return `/${out.join('/')}`;
}

/** Decodes a segment's escapes (refusing the unsafe ones) and re-encodes it canonically. */
function canonicalSegment(segment: string): NormalizedPath {
  const bytes: number[] = [];
  const escaped: boolean[] = [];
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] as string;
    if (char === '%') {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return refuse(`it has a malformed percent-escape ('${segment}')`);
      bytes.push(Number.parseInt(hex, 16));
      escaped.push(true);
      i += 2;
    } else {
      // The whole code point at i (`char` is one UTF-16 unit: half of an astral character's pair).
      const code = segment.codePointAt(i) ?? 0;
      if (code < 0x80) {
        // ASCII is its own UTF-8 byte: skip the encoder (hot on the forward-auth path).
        bytes.push(code);
        escaped.push(false);
        continue;
      }
      if (code > 0xffff) i++;
      for (const byte of encoder.encode(String.fromCodePoint(code))) {
        bytes.push(byte);
        escaped.push(false);
      }
    }
  }
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte < 0x20 || byte === 0x7f) return refuse('it contains a control character');
    if (!escaped[i]) continue;
    if (byte === 0x2f || byte === 0x5c) return refuse(`it contains an encoded slash or backslash ('${segment}')`);
    if (byte === 0x25 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) return refuse(`it is percent-encoded twice ('${segment}')`);
  }
  try {
    utf8.decode(Uint8Array.from(bytes));
  } catch {
    return refuse(`its percent-escapes are not UTF-8 ('${segment}')`);
  }
  return { ok: true, path: bytes.map(encodeByte).join('') };
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && /^[0-9A-Fa-f]$/.test(String.fromCharCode(byte));
}

function encodeByte(byte: number): string {
  const char = String.fromCharCode(byte);
  return byte < 0x80 && keptRaw.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}
