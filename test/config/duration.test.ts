import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1M', 30 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['1h30m', 5_400_000],
    ['3600', 3_600_000],
    [3600, 3_600_000],
    [0, 0],
  ])('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '5 minutes', '1.5h', '-5m', 'm', '5x', '1h 30m', 1.5, -1, true, null, [], {}])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it('formats back to the shortest exact unit', () => {
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(30 * 86_400_000)).toBe('1M');
  });
});
