import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The folder `src/` of this repository, with a trailing slash. */
export const srcRoot = new URL('../../src/', import.meta.url).pathname;

/** Every `.ts` file below `dir` (default `src/`), for tests that read the source tree. */
export function sourceFiles(dir = srcRoot): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}
