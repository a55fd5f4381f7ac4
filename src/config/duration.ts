/**
 * Durations as Authelia writes them: `90s`, `5m`, `1h`, `2d`, `1w`, `1M` (30 days), `1y`
 * (365 days), combinations such as `1h30m`, or a plain number of seconds.
 */
const unitMs: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

const wholePattern = /^(?:\d+[smhdwMy])+$/;
const partPattern = /(\d+)([smhdwMy])/g;

/** Milliseconds for a duration value, or undefined when it is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value * 1_000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (!wholePattern.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(partPattern)) total += Number(amount) * (unitMs[unit!] ?? 0);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A duration in the shortest exact form, for messages and docs (`3600000` → `1h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['y', 'M', 'w', 'd', 'h', 'm', 's']) {
    const size = unitMs[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1_000}s`;
}
