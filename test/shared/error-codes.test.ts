import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sourceFiles, srcRoot } from '../helpers/sources.js';
import { errorCodes } from '../../src/shared/error-codes.js';

const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const src = srcRoot;

describe('the one error table', () => {
  it('docs/errors.md lists every code of the table, and no other', () => {
    const documented = [...docs.matchAll(/`(GH_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.keys(errorCodes)));
  });

  it('every error class of src/ is built on the shared base (GatehouseError)', () => {
    const plain = sourceFiles().flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends (Error|TypeError|RangeError)\b/g)].map((m) => `${file.slice(src.length)}: ${m[1]}`),
    );
    expect(plain).toEqual(['shared/errors.ts: GatehouseError']);
  });

  it('every code named in src/ is a row of the table', () => {
    const named = new Set(sourceFiles().flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'(GH_[A-Z_]+)'/g)].map((m) => m[1]!)));
    for (const code of named) expect(Object.keys(errorCodes)).toContain(code);
  });

  it('the portal API error body {"status":"KO"} is built in one place', () => {
    const builders = sourceFiles().filter((file) => /status: 'KO'/.test(readFileSync(file, 'utf8')));
    expect(builders.map((file) => file.slice(src.length))).toEqual(['shared/http/ko.ts']);
  });
});
