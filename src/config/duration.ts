/**
 * Durations as Authelia reads them (its `ParseDurationString`): a plain integer is seconds
 * (`3600`); otherwise one or more `<amount><unit>` parts, spaces and the word `and` ignored, so
 * `90s`, `1h30m`, `1 hour 30 minutes`, `1 hour and 30 minutes` and `90 minutes` are all read.
 * Units: `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`, `d`, `w`, `M` (30 days), `y` (365 days),
 * and the words `millisecond`, `second`, `minute`, `hour`, `day`, `week`, `month`, `year`, singular
 * or plural. Units are case-sensitive, as Authelia's are (`m` is a minute, `M` a month).
 *
 * Where Authelia is looser, this parser refuses instead of guessing: text around the parts
 * (`about 5m`, which Authelia reads as `5m`), an amount with a leading zero, and a total that is
 * not a whole number of milliseconds. `0` alone is zero; Authelia refuses `0s`, which is read here
 * as zero too.
 */
const unitNs: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 7n * 86_400_000_000_000n,
  M: 30n * 86_400_000_000_000n,
  y: 365n * 86_400_000_000_000n,
};
const words: Record<string, string> = {
  millisecond: 'ms',
  second: 's',
  minute: 'm',
  hour: 'h',
  day: 'd',
  week: 'w',
  month: 'M',
  year: 'y',
};
for (const [word, unit] of Object.entries(words)) words[`${word}s`] = unit;

const onlyDigits = /^\d+$/;
const part = /(0|[1-9]\d*)([^\d\s]+)/y;
const msPerUnit: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, M: 30 * 86_400_000, y: 365 * 86_400_000 };

/** Milliseconds for a duration value, or undefined when it is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 && Number.isSafeInteger(value * 1_000) ? value * 1_000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (onlyDigits.test(text)) {
    const ms = Number(text) * 1_000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const compact = text.replaceAll('and', '').replace(/\s+/g, '');
  if (compact === '') return undefined;
  let total = 0n;
  part.lastIndex = 0;
  while (part.lastIndex < compact.length) {
    const match = part.exec(compact);
    if (match === null) return undefined;
    const [, amount = '', name = ''] = match;
    const unit = unitNs[name] ?? unitNs[words[name] ?? ''];
    if (unit === undefined) return undefined;
    total += BigInt(amount) * unit;
  }
  if (total % 1_000_000n !== 0n) return undefined;
  const ms = Number(total / 1_000_000n);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration in the shortest exact form, for messages and docs (`3600000` → `1h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['y', 'M', 'w', 'd', 'h', 'm', 's']) {
    const size = msPerUnit[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}
