import { vi } from 'vitest';

/**
 * Collects every line every pino logger of the tests writes — including the many created at
 * level `silent` or `warn` — into this worker's file (test/setup/log-files.ts): each logger is
 * built at level `trace` over a multistream that gives its own destination only what its level
 * lets through (so what a test reads from its sink is unchanged) and the file everything.
 * Loggers thus report `trace` as their level: code that asks `isLevelEnabled('debug')` does its
 * debug work in tests, which the scan wants to see too.
 */
vi.mock('pino', async (importOriginal) => {
  const real = await importOriginal<typeof import('pino')>();
  const files = await import('./log-files.js');
  if (!files.capturing) return real;
  const file = real.pino.destination({ dest: files.workerLogFile(), sync: true, mkdir: true, append: true });
  type Options = Exclude<Parameters<typeof real.pino>[0], undefined>;
  const isStream = (value: unknown): value is import('pino').DestinationStream =>
    typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function';
  const capturingPino = (first?: Options | import('pino').DestinationStream, second?: import('pino').DestinationStream) => {
    const options: Options = isStream(first) || first === undefined ? {} : first;
    const destination = isStream(first) ? first : (second ?? real.pino.destination(1));
    const level = typeof options.level === 'string' ? options.level : 'info';
    const streams: import('pino').StreamEntry[] = [{ level: 'trace', stream: file }];
    if (level !== 'silent') streams.push({ level: level as import('pino').Level, stream: destination });
    return real.pino({ ...options, level: 'trace' }, real.pino.multistream(streams));
  };
  const wrapped = Object.assign(capturingPino, real.pino);
  return { ...real, default: wrapped, pino: wrapped };
});
