import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

const second = 1_000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

describe('parseDuration: durations as Authelia reads them (internal/utils/time.go)', () => {
  // Each value is one Authelia's documentation or its own configurations use, or a unit of its table.
  it.each([
    ['90s', 90 * second],
    ['5m', 5 * minute],
    ['1h', hour],
    ['2d', 2 * day],
    ['1w', 7 * day],
    ['1M', 30 * day],
    ['1y', 365 * day],
    ['1h30m', 90 * minute],
    ['300ms', 300],
    ['1500us', undefined],
    ['2000us', 2],
    ['3000000ns', 3],
    ['3000µs', 3],
    ['3000μs', 3],
    ['3600', hour],
    [3600, hour],
    [0, 0],
    ['0', 0],
    ['0s', 0],
    ['1 hour', hour],
    ['1 hours', hour],
    ['2 hours', 2 * hour],
    ['5 minutes', 5 * minute],
    ['1 minute', minute],
    ['90 minutes', 90 * minute],
    ['10 seconds', 10 * second],
    ['1 second', second],
    ['500 milliseconds', 500],
    ['1 day', day],
    ['6 days', 6 * day],
    ['1 week', 7 * day],
    ['2 weeks', 14 * day],
    ['1 month', 30 * day],
    ['3 months', 90 * day],
    ['1 year', 365 * day],
    ['2 years', 730 * day],
    ['1hour', hour],
    ['5minutes', 5 * minute],
    ['1 hour 30 minutes', 90 * minute],
    ['1 hour and 30 minutes', 90 * minute],
    ['1h 30m', 90 * minute],
    ['1d2h3m4s', day + 2 * hour + 3 * minute + 4 * second],
    ['  5m  ', 5 * minute],
  ])('%j → %j ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    '',
    '   ',
    '1.5h',
    '-5m',
    'm',
    'minutes',
    '5x',
    '5 mins',
    '1 hr',
    '5 Minutes',
    '05m',
    'about 5m',
    '5m or so',
    '1h-30m',
    'and',
    1.5,
    -1,
    Number.MAX_SAFE_INTEGER,
    true,
    null,
    [],
    {},
  ])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it('formats back to the shortest exact unit', () => {
    expect(formatDuration(hour)).toBe('1h');
    expect(formatDuration(90 * second)).toBe('90s');
    expect(formatDuration(30 * day)).toBe('1M');
    expect(formatDuration(300)).toBe('300ms');
  });
});
