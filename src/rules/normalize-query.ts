const encoder = new TextEncoder();

/**
 * Canonical query string, used in the `path?query` string that `resources` see: escapes of
 * unreserved characters are decoded (`%7E` → `~`), other escapes get upper-case hex, characters
 * that must be escaped are escaped (a lone `%` becomes `%25`), and `&`, `=`, `+` stay as written.
 * @returns `undefined` when the query holds a raw control character.
 */
export function normalizeQuery(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] as string;
    // The whole code point at i (`char` is one UTF-16 unit: half of an astral character's pair).
    const code = raw.codePointAt(i) ?? 0;
    if (code < 0x20 || code === 0x7f) return undefined;
    if (char === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        const decoded = String.fromCharCode(Number.parseInt(hex, 16));
        out += /^[A-Za-z0-9\-._~]$/.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
        i += 2;
      } else out += '%25';
    } else if (/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]$/.test(char)) out += char;
    else {
      if (code > 0xffff) i++;
      // UTF-8 bytes, as the path's are (a lone surrogate is U+FFFD, where encodeURIComponent would throw).
      for (const byte of encoder.encode(String.fromCodePoint(code))) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}
