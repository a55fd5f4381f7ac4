/**
 * Generators of requests in canonical form and of other spellings of them: what a client can
 * send that some server, proxy or application reads as the same host and path. Some spellings
 * are plain equivalents (case, a trailing dot, a port, `%61`, `./`, `a/../`, `//`, `;param`, a
 * fragment); others are read as the same resource by some readers and as another by others
 * (`%2F`, `\`, `%C0%AE`, `a//../`, `host:@other`); a few are refused outright by every careful
 * reader (`%zz`, a bad port). A gateway must never give a spelling a weaker policy than the
 * request it may be read as (a refusal is the strongest answer).
 */
import fc from 'fast-check';

/** A request in canonical form: lower-case host without dot or port; normalised path; canonical query. */
export interface Canonical {
  readonly host: string;
  readonly path: string;
  /** Canonical query without `?`; '' for none. */
  readonly query: string;
}

/** How a client spelled a canonical request. */
export interface Spelled {
  /** The `Host`-style authority as sent. */
  readonly host: string;
  /** The origin-form target as sent: path, `?query`, `#fragment`. */
  readonly target: string;
  /** The scheme as sent (`https`, `HTTPS`…). */
  readonly scheme: string;
  /**
   * Other hosts some reader may take this authority for (`deny.x:@public.x` is `public.x` to a
   * URL parser): the spelling must be at least as strict as each of them too.
   */
  readonly otherHosts: readonly string[];
  /** Whether the path has a spelling that some servers read differently (it may be refused). */
  readonly ambiguous: boolean;
  /** What was done, for the statistics of a run (`fc.statistics`) and for reading a counterexample. */
  readonly tricks: readonly string[];
}

export interface Case {
  readonly canonical: Canonical;
  readonly spelled: Spelled;
}

/** The target of a canonical request: `path?query`. */
export function targetOf(canonical: Canonical): string {
  return canonical.query === '' ? canonical.path : `${canonical.path}?${canonical.query}`;
}

export const baseDomain = 'example.com';
const labels = ['app', 'admin', 'api', 'public', 'secure', 'www', 'x-1', 'a_b', 'xn--bcher-kva', 'deny'] as const;
const prefixes = ['a', 'b', 'admin'] as const;

/** Every host name {@link hostNameUnder} generates (a proxy's upstream table lists them all). */
export function allHostNames(domain = baseDomain): string[] {
  return [domain, ...labels.map((l) => `${l}.${domain}`), ...prefixes.flatMap((p) => labels.map((l) => `${p}.${l}.${domain}`))];
}

/** Canonical host names under `domain`. */
export function hostNameUnder(domain = baseDomain): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...labels).map((l) => `${l}.${domain}`), weight: 6 },
    { arbitrary: fc.tuple(fc.constantFrom(...prefixes), fc.constantFrom(...labels)).map(([a, l]) => `${a}.${l}.${domain}`), weight: 2 },
    { arbitrary: fc.constant(domain), weight: 1 },
  );
}

/** Canonical host names under {@link baseDomain}. */
export const hostName = hostNameUnder();

/** Kept raw in a canonical path (rules/normalize-path.ts), per RFC 3986 `pchar` less `%`. */
const keptRaw = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;
const encoder = new TextEncoder();

function hex(byte: number, upper: boolean): string {
  const text = byte.toString(16).padStart(2, '0');
  return `%${upper ? text.toUpperCase() : text}`;
}

/** The canonical spelling of one decoded segment: UTF-8, bytes outside {@link keptRaw} as `%XX`. */
export function canonicalSegment(decoded: string): string {
  return [...encoder.encode(decoded)].map((b) => (b < 0x80 && keptRaw.test(String.fromCharCode(b)) ? String.fromCharCode(b) : hex(b, true))).join('');
}

/** Characters of decoded segments: kept-raw ones, ones that must be escaped, non-ASCII (two, three and four UTF-8 bytes). */
const segmentChar = fc.oneof(
  { arbitrary: fc.constantFrom(..."abcdimnpstuxyzABZ019-._~!$&'()*+,=:@".split('')), weight: 8 },
  { arbitrary: fc.constantFrom(' ', '"', '<', '>', '[', ']', '^', '`', '{', '|', '}', ';', '?', '#'), weight: 2 },
  { arbitrary: fc.constantFrom('é', 'ü', 'ſ', '中', '😀'), weight: 1 },
);

/** Words the generated rules mention, so that rules and requests meet often. */
const words = ['admin', 'api', 'v1', 'users', 'public', 'secret', 'index.php', 'a', 'b', 'café', 'x y', 'a;b', 'style.css', '..a', '.well-known', '~me'];

/** A decoded segment: a word or random characters; never empty, `.` or `..`. */
const decodedSegment = fc
  .oneof({ arbitrary: fc.constantFrom(...words), weight: 3 }, { arbitrary: fc.string({ unit: segmentChar, minLength: 1, maxLength: 6 }), weight: 2 })
  .filter((s) => s !== '.' && s !== '..');

/** Canonical queries (as normalize-query.ts writes them), '' for none. */
const canonicalQuery = fc.constantFrom('', '', '', 'x=1', 'debug=true', 'q=a%20b&x=~', 'a=%2F&b', 'redirect=/admin');

export interface PathShape {
  readonly segments: readonly string[];
  readonly trailingSlash: boolean;
}

const pathShape: fc.Arbitrary<PathShape> = fc.record({ segments: fc.array(decodedSegment, { maxLength: 4 }), trailingSlash: fc.boolean() });

export function canonicalPath({ segments, trailingSlash }: PathShape): string {
  if (segments.length === 0) return '/';
  return `/${segments.map(canonicalSegment).join('/')}${trailingSlash ? '/' : ''}`;
}

/** Per-character choices of a respelling, cycled over the text. */
interface Choices {
  readonly escape: readonly boolean[];
  readonly upper: readonly boolean[];
  /** Raw characters that a request line cannot carry (a space, `"`, non-ASCII) may be sent raw. */
  readonly rawUnsafe: boolean;
}

const choices = (rawUnsafe: boolean): fc.Arbitrary<Choices> =>
  fc.record({
    escape: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
    upper: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
    rawUnsafe: rawUnsafe ? fc.boolean() : fc.constant(false),
  });

/** Another spelling of a decoded segment: escapes where optional, in either case, raw Unicode or its bytes. */
function respellSegment(decoded: string, c: Choices, offset: number): string {
  let out = '';
  let i = offset;
  for (const char of decoded) {
    i++;
    const escapeIt = c.escape[i % c.escape.length] === true;
    const upper = c.upper[i % c.upper.length] === true;
    const bytes = [...encoder.encode(char)];
    const mustEscape = ';?#%/\\'.includes(char);
    const ascii = bytes.length === 1;
    const raw = ascii ? keptRaw.test(char) || (c.rawUnsafe && !mustEscape) : c.rawUnsafe;
    out += raw && !escapeIt ? char : bytes.map((b) => hex(b, upper)).join('');
  }
  return out;
}

/** What may stand between two segments (or after the last one when the path ends in `/`). */
type Separator =
  | { kind: 'slash' }
  | { kind: 'double' }
  | { kind: 'dot'; spelling: string }
  | { kind: 'detour'; through: string; dots: string }
  | { kind: 'param'; param: string }
  | { kind: 'ambiguous'; spelling: string };

const dotSpelling = fc.constantFrom('.', '%2e', '%2E');
const dotDotSpelling = fc.constantFrom('..', '%2e%2e', '%2E.', '.%2e', '%2E%2E');
const separator: fc.Arbitrary<Separator> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'slash' as const }), weight: 10 },
  { arbitrary: fc.constant({ kind: 'double' as const }), weight: 2 },
  { arbitrary: dotSpelling.map((spelling) => ({ kind: 'dot' as const, spelling })), weight: 2 },
  { arbitrary: fc.record({ through: decodedSegment.map(canonicalSegment), dots: dotDotSpelling }).map((d) => ({ kind: 'detour' as const, ...d })), weight: 2 },
  { arbitrary: fc.constantFrom(';', ';x=1', ';.css', ';jsessionid=0').map((param) => ({ kind: 'param' as const, param })), weight: 1 },
  {
    // Read as a separator by some servers and as part of a segment by others, or refused by some.
    // Each is the plain `/` (or `/x/../`) to some reader: that reading is the canonical request.
    arbitrary: fc
      .constantFrom('%2F', '%2f', '%5C', '%5c', '\\', '%252F', '/x/%C0%AE%C0%AE/', '/x/..;/', '/x//../', '/x/%2e%2e;/', '/.%00/', '/%2e%09/')
      .map((spelling) => ({
        kind: 'ambiguous' as const,
        spelling,
      })),
    weight: 1,
  },
);

/** A fragment, which no server sends on but a client can: ignored by every URL reader. */
const fragment = fc.constantFrom('', '', '', '', '#', '#x', '#/../public', '#?a=1', '#%2F');

/** Respells a canonical query: escapes of unreserved characters, hex case. */
function respellQuery(query: string, c: Choices): string {
  let out = '';
  let i = 0;
  for (let at = 0; at < query.length; at++) {
    const char = query[at] as string;
    i++;
    if (char === '%') {
      const code = query.slice(at + 1, at + 3);
      out += c.upper[i % c.upper.length] ? `%${code.toUpperCase()}` : `%${code.toLowerCase()}`;
      at += 2;
    } else if (/^[A-Za-z0-9\-._~]$/.test(char) && c.escape[i % c.escape.length]) out += hex(char.charCodeAt(0), c.upper[i % c.upper.length] === true);
    else out += char;
  }
  return out;
}

interface PathSpelling {
  readonly target: string;
  readonly ambiguous: boolean;
  readonly tricks: string[];
}

/** Spells the path of `shape` (+ query, + fragment) with `separators` between its segments. */
function spellPath(shape: PathShape, query: string, c: Choices, separators: readonly Separator[], leadingDouble: boolean, frag: string): PathSpelling {
  const tricks = new Set<string>();
  let ambiguous = false;
  const spelled = shape.segments.map((s, i) => {
    const text = respellSegment(s, c, i * 3);
    if (text !== canonicalSegment(s)) tricks.add(/[^\u0000-\u007f]/.test(text) ? 'unicode' : 'escapes');
    return text;
  });
  // Separators go after each segment but the last, and after the last when the path ends in `/`.
  let out = leadingDouble ? '//' : '/';
  if (leadingDouble) tricks.add('leading //');
  spelled.forEach((segment, i) => {
    out += segment;
    const last = i === spelled.length - 1;
    if (last && !shape.trailingSlash) return;
    const sep = separators[i % Math.max(1, separators.length)] ?? { kind: 'slash' };
    switch (sep.kind) {
      case 'slash':
        out += '/';
        break;
      case 'double':
        out += '//';
        tricks.add('//');
        break;
      case 'dot':
        out += `/${sep.spelling}/`;
        tricks.add('./');
        break;
      case 'detour':
        out += `/${sep.through}/${sep.dots}/`;
        tricks.add('x/../');
        break;
      case 'param':
        out += `${sep.param}/`;
        tricks.add(';param');
        break;
      case 'ambiguous':
        out += sep.spelling;
        ambiguous = true;
        tricks.add(`ambiguous ${sep.spelling}`);
        break;
    }
  });
  if (query !== '') {
    const q = respellQuery(query, c);
    if (q !== query) tricks.add('query escapes');
    out += `?${q}`;
  }
  if (frag !== '') tricks.add('fragment');
  return { target: out + frag, ambiguous, tricks: [...tricks] };
}

/** Options for the spellings: what the transport can carry. */
export interface SpellingOptions {
  /** Raw spaces, quotes and non-ASCII in the path (an in-process header can carry them; a request line cannot). */
  readonly rawUnsafe: boolean;
  /** Host spellings with a second host (`a:@b`, `a#b`…). */
  readonly joints: boolean;
  /** Fragments (`#x`) after the path. */
  readonly fragments: boolean;
  /** The domain the hosts are under (default {@link baseDomain}). */
  readonly domain?: string;
}

const joint = fc.constantFrom(':@', '@', ':80@', '#', '?', '/', ':/', '\\', ',', ', ', ' ', ';');

/**
 * Something stranger done to a host: one character escaped; Unicode that IDNA (UTS #46) maps to
 * the canonical name (the U-label, a fullwidth letter, `。`); two trailing dots, a leading dot;
 * a user name before it.
 */
type Oddity =
  | { kind: 'none' }
  | { kind: 'escape'; at: number }
  | { kind: 'u-label' | 'fullwidth' | 'ideographic dot' | 'two trailing dots' | 'leading dot' | 'userinfo' };

function applyOddity(host: string, oddity: Oddity): string {
  switch (oddity.kind) {
    case 'none':
      return host;
    case 'escape': {
      const i = oddity.at % host.length;
      return `${host.slice(0, i)}${hex(host.charCodeAt(i), true)}${host.slice(i + 1)}`;
    }
    case 'u-label':
      return host.replace(/xn--bcher-kva/i, 'bücher');
    case 'fullwidth':
      return host.replace(/a/i, '\uff41');
    case 'ideographic dot':
      return host.replace('.', '\u3002');
    case 'two trailing dots':
      return `${host.replace(/\.$/, '')}..`;
    case 'leading dot':
      return `.${host}`;
    case 'userinfo':
      return `user@${host}`;
  }
}

/** Respells a canonical host name: case, a trailing dot, a port, or something stranger. */
function hostSpelling(host: string, joints: boolean, domain: string): fc.Arbitrary<{ host: string; otherHosts: string[]; tricks: string[] }> {
  const port = fc.oneof(
    { arbitrary: fc.constant(''), weight: 6 },
    { arbitrary: fc.constantFrom(':', ':443', ':80', ':8443', ':0443', ':00080', ':65535'), weight: 3 },
    { arbitrary: fc.nat(65535).map((n) => `:${n}`), weight: 1 },
    // Refused by every careful reader.
    { arbitrary: fc.constantFrom(':65536', ':-1', ':8o', ': 443', ':443:443', ':0x1bb'), weight: 1 },
  );
  const odd = fc.oneof(
    { arbitrary: fc.constant<Oddity>({ kind: 'none' }), weight: 8 },
    { arbitrary: fc.nat().map((at): Oddity => ({ kind: 'escape', at })), weight: 1 },
    {
      arbitrary: fc
        .constantFrom<Oddity['kind']>('u-label', 'fullwidth', 'ideographic dot', 'two trailing dots', 'leading dot', 'userinfo')
        .map((kind) => ({ kind }) as Oddity),
      weight: 1,
    },
  );
  const second = joints ? fc.option(fc.tuple(joint, hostNameUnder(domain)), { freq: 6 }) : fc.constant(null);
  return fc
    .tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), fc.boolean(), port, odd, second)
    .map(([upper, trailingDot, portText, oddOne, other]) => {
      const tricks: string[] = [];
      let text = [...host].map((ch, i) => (upper[i % upper.length] ? ch.toUpperCase() : ch)).join('');
      if (text !== host) tricks.push('host case');
      if (trailingDot) {
        text += '.';
        tricks.push('trailing dot');
      }
      const strange = applyOddity(text, oddOne);
      if (strange !== text) {
        text = strange;
        tricks.push(oddOne.kind === 'escape' ? 'host %XX' : oddOne.kind);
      }
      if (portText !== '') tricks.push('port');
      text += portText;
      const otherHosts: string[] = [];
      if (other) {
        const [j, h2] = other;
        text += `${j}${h2}`;
        otherHosts.push(h2);
        tricks.push(`joint ${j}`);
      }
      return { host: text, otherHosts, tricks };
    });
}

/** A canonical request and a spelling of it. */
export function requestCase(options: SpellingOptions): fc.Arbitrary<Case> {
  const domain = options.domain ?? baseDomain;
  return fc
    .record({
      host: hostNameUnder(domain),
      shape: pathShape,
      query: canonicalQuery,
      choices: choices(options.rawUnsafe),
      separators: fc.array(separator, { minLength: 1, maxLength: 4 }),
      leadingDouble: fc.nat(5).map((n) => n === 0),
      frag: options.fragments ? fragment : fc.constant(''),
      scheme: fc.constantFrom('https', 'https', 'HTTPS', 'Https'),
    })
    .chain((r) =>
      hostSpelling(r.host, options.joints, domain).map((h): Case => {
        const canonical: Canonical = { host: r.host, path: canonicalPath(r.shape), query: r.query };
        const path = spellPath(r.shape, r.query, r.choices, r.separators, r.leadingDouble, r.frag);
        const tricks = [...h.tricks, ...path.tricks];
        if (r.scheme !== 'https') tricks.push('scheme case');
        return {
          canonical,
          spelled: { host: h.host, target: path.target, scheme: r.scheme, otherHosts: h.otherHosts, ambiguous: path.ambiguous, tricks },
        };
      }),
    );
}
