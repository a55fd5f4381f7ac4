import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../src/rules/index.js';
import { normalizeEachByte } from '../../src/rules/normalize-path.js';
import { Anonymous, John, policyFor, ruleSet } from './fixtures.js';

const segmentChar = fc.constantFrom(..."abcXYZ019-._~!$&'()*+,=:@".split(''));
const segment = fc
  .array(segmentChar, { minLength: 1, maxLength: 6 })
  .map((chars) => chars.join(''))
  .filter((s) => s !== '.' && s !== '..');
/** A canonical path: segments of characters kept raw, optional trailing slash. */
const canonicalPath = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.boolean())
  .map(([segments, slash]) => `/${segments.join('/')}${slash && segments.length > 0 ? '/' : ''}`);

/** Percent-encodes some characters, in lower- or upper-case hex. */
function respellChars(text: string, picks: readonly boolean[], upper: readonly boolean[]): string {
  return [...text]
    .map((c, i) => {
      if (!picks[i % picks.length]) return c;
      const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
      return `%${upper[i % upper.length] ? hex.toUpperCase() : hex}`;
    })
    .join('');
}

const flags = fc.array(fc.boolean(), { minLength: 1, maxLength: 8 });
/** What may be inserted between segments without changing the resource. */
const dotDetour = fc.oneof(
  fc.constant('./'),
  fc.constant('%2e/'),
  segment.map((s) => `${s}/../`),
  segment.map((s) => `${s}/%2E%2e/`),
);

/** An equivalent spelling: escapes, dot segments, `;` parameters, or duplicate slashes (not mixed with `..`). */
const spelling = fc
  .tuple(canonicalPath, flags, flags, fc.array(fc.oneof(dotDetour, fc.constant(';p=1/')), { maxLength: 3 }), fc.nat(), fc.boolean())
  .map(([path, picks, upper, inserts, at, doubled]) => {
    const parts = path.split('/').map((part) => respellChars(part, picks, upper));
    const index = 1 + (at % Math.max(1, parts.length - 1));
    const head = `${parts.slice(0, index).join('/')}/`;
    const tail = parts.slice(index).join('/');
    const detour = inserts.map((i) => (i === ';p=1/' ? '' : i)).join('');
    const params = inserts.includes(';p=1/') && parts.length > 2 && parts[1] !== '' ? parts.slice(1).map((s, i) => (i === 0 ? `${s};p=1` : s)) : undefined;
    let spelled = params ? `/${params.join('/')}` : `${head}${detour}${tail}`;
    if (doubled && !/\.\.|%2e%2e|%2E%2e/i.test(spelled)) spelled = spelled.replace(/\//g, '//');
    return { path, spelled };
  });

const rules = ruleSet('one_factor', [
  { domain: 'x.example.com', resources: ['^/a', '\\.css$'], policy: 'bypass' },
  { domain: 'x.example.com', resources: ['^/[0-9]'], subject: 'group:admins', policy: 'two_factor' },
  { domain: 'x.example.com', resources: ['~', '@'], policy: 'deny' },
]);

describe('path normalisation properties', () => {
  it('normalises every equivalent spelling to the canonical path', () => {
    fc.assert(
      fc.property(spelling, ({ path, spelled }) => {
        expect(normalizePath(spelled)).toEqual(normalizePath(path));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a path and any equivalent spelling of it the same decision', () => {
    fc.assert(
      fc.property(spelling, fc.constantFrom(John, Anonymous), ({ path, spelled }, subject) => {
        const url = (p: string) => `https://x.example.com${p}`;
        expect(policyFor(rules, subject, url(spelled))).toBe(policyFor(rules, subject, url(path)));
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent and yields only canonical paths, or a refusal', () => {
    const raw = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'/.%;\\aA2eEfF5c0'.split('')), maxLength: 24 }).map((s) => `/${s}`),
      fc.string({ maxLength: 24 }).map((s) => `/${s}`),
    );
    fc.assert(
      fc.property(raw, (path) => {
        const once = normalizePath(path);
        if (!once.ok) return;
        expect(normalizePath(once.path)).toEqual(once);
        expect(once.path).not.toMatch(/\/\/|\/\.\.?(\/|$)|%[0-9a-f][a-f]|%[a-f][0-9A-F]|;|\\/);
        expect(once.path).not.toMatch(/%(3[0-9]|4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|2D|2E|5F|7E)/); // unreserved kept raw
      }),
      { numRuns: 3000 },
    );
  });
});

describe('normalizePath: the canonical-path shortcut (issue 14)', () => {
  it('answers exactly as the byte-by-byte pass, for canonical paths, their respellings and arbitrary text', () => {
    const anything = fc.string({ unit: fc.constantFrom(...'/.;%2eEaZ5~-_\\@:+ ?'.split('')), maxLength: 24 });
    fc.assert(
      fc.property(
        fc.oneof(
          canonicalPath,
          spelling.map((s) => s.spelled),
          anything,
        ),
        (raw) => {
          expect(normalizePath(raw)).toEqual(normalizeEachByte(raw));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
