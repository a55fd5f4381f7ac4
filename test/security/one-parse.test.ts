/**
 * One parse, one truth: the request's host and protocol are read by shared/http/request-view.ts
 * only. fastify's `request.host` / `request.hostname` / `request.protocol` read `Host` and
 * `X-Forwarded-*` with their own rules; a decision taken on them could disagree with routing.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles, srcRoot } from '../helpers/sources.js';

const root = srcRoot;

describe('one parse of the request host', () => {
  it('no module but the request view reads fastify’s host or protocol, or the raw Host / X-Forwarded-Host / X-Forwarded-Proto', () => {
    const reads = /\brequest\.(?:hostname|host|protocol)\b|\.headers\.host\b(?!\s*=)|headers\[['"]x-forwarded-(?:host|proto)['"]\](?!\s*=)/;
    const offenders = sourceFiles()
      .filter((file) => !file.endsWith('shared/http/request-view.ts'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(root, file)}:${i + 1}` }))
          .filter(({ line }) => reads.test(line) && !/logger\.|log\.(?:info|warn|error|debug)/.test(line)),
      )
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});
