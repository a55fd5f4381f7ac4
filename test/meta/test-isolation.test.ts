import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mocking } from '../../vitest.config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

/**
 * Test files share each worker's loaded modules (vitest.config.ts): a `vi.mock` in one of them
 * would not apply (the module is loaded already) or would leak into the next file. Every file
 * that mocks a module runs isolated, in the config's `mocking` list.
 */
describe('test isolation', () => {
  it('every test file that calls vi.mock runs isolated, and the list names only such files', () => {
    const mockers = testFiles(join(root, 'test'))
      .filter((file) => /\bvi\.mock\(/.test(readFileSync(join(root, file), 'utf8')))
      .sort();
    expect(mockers.length).toBeGreaterThan(0);
    expect([...mocking].sort()).toEqual(mockers);
  });
});
