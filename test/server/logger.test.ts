import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';
import { createLogger, logFilePath } from '../../src/server/logger.js';

/** A destination that keeps what it is given, in place of standard output. */
function memory(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { lines });
}

const start = Date.UTC(2026, 2, 4, 5, 6, 7, 890);

/** Waits (up to 5 s, polling) until pino's asynchronous file destination has written `text`. */
async function fileHolds(file: string, text: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const content = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (content.includes(text)) return content;
    await new Promise((r) => setTimeout(r, 5));
  }
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('log.file_path and log.keep_stdout', () => {
  it('reads keep_stdout (off by default, as in Authelia)', () => {
    const dir = tempDir();
    expect(configOf(minimalRaw(dir)).log.keepStdout).toBe(false);
    expect(configOf(minimalRaw(dir, { log: { file_path: 'g.log', keep_stdout: true } })).log).toMatchObject({
      filePath: join('/tmp', 'g.log'),
      keepStdout: true,
    });
  });

  it("replaces %d in file_path with the start time (Authelia's placeholder)", () => {
    expect(logFilePath('/var/log/gatehouse-%d.log', start)).toBe('/var/log/gatehouse-2026-03-04T05:06:07Z.log');
  });

  for (const format of ['json', 'text'] as const) {
    it(`${format}: writes to the file only, and to standard output as well with keep_stdout`, async () => {
      const dir = tempDir();
      const stdout = memory();
      const alone = createLogger({ level: 'info', format, filePath: join(dir, 'a-%d.log'), keepStdout: false }, undefined, { now: () => start, stdout });
      alone.info('only in the file');
      const aloneFile = join(dir, 'a-2026-03-04T05:06:07Z.log');
      expect(await fileHolds(aloneFile, 'only in the file')).toContain('only in the file');
      expect(stdout.lines).toEqual([]);

      const both = createLogger({ level: 'info', format, filePath: join(dir, 'b.log'), keepStdout: true }, undefined, { now: () => start, stdout });
      both.info('in both');
      expect(await fileHolds(join(dir, 'b.log'), 'in both')).toContain('in both');
      expect(stdout.lines.join('')).toContain('in both');
    });
  }
});
