/**
 * How many cases each fuzzer runs. By default (CI, `npm test`) every property runs the few
 * thousand cases its file asks for, so that the whole folder stays well under a minute on two
 * cores; `npm run fuzz` sets `FUZZ_RUNS` (100,000) and every property runs that many, but those
 * whose case costs milliseconds (a request over a real listener, a configuration load), which
 * run the `share` of it their file gives.
 *
 * `FUZZ_SEED` (with `FUZZ_PATH`) replays a failure that fast-check reported: the seed and path
 * printed under "Counterexample".
 */
import type { Parameters } from 'fast-check';

const asked = process.env.FUZZ_RUNS;
const fuzzRuns = asked === undefined || asked === '' ? undefined : Number(asked);
if (fuzzRuns !== undefined && !(Number.isInteger(fuzzRuns) && fuzzRuns > 0)) {
  throw new Error(`FUZZ_RUNS must be a positive whole number but is '${asked}'`);
}

/** Whether `FUZZ_RUNS` asked for a long run. */
export const longRun = fuzzRuns !== undefined;

/** The number of cases for a property: `defaultRuns`, or `FUZZ_RUNS × share` when set. */
export function numRuns(defaultRuns: number, share = 1): number {
  return fuzzRuns === undefined ? defaultRuns : Math.max(1, Math.round(fuzzRuns * share));
}

/** fast-check parameters for a property: its run count, and the seed and path to replay when given. */
export function fuzzParameters<T>(defaultRuns: number, share = 1, extra: Parameters<T> = {}): Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: numRuns(defaultRuns, share),
    ...(seed === undefined || seed === '' ? {} : { seed: Number(seed) }),
    ...(path === undefined || path === '' ? {} : { path }),
    ...extra,
  };
}

/**
 * A vitest timeout for a property: generous (a property's time is bounded by its run count, and a
 * loaded machine must not turn it into a failure), none to speak of in a long run.
 */
export function fuzzTimeout(defaultMs = 120_000): number {
  return longRun ? 6 * 60 * 60 * 1000 : defaultMs;
}
