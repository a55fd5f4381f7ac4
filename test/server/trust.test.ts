import { describe, expect, it } from 'vitest';
import { trustFunction } from '../../src/server/trust.js';

describe('trustFunction', () => {
  const trust = trustFunction(['127.0.0.0/8', '::1/128', '10.1.0.0/16']);

  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::1', true],
    ['10.1.2.3', true],
    ['10.2.0.1', false],
    ['192.168.1.1', false],
    ['not-an-ip', false],
  ])('%s → %s (and the same from the memo)', (address, expected) => {
    expect(trust(address, 0)).toBe(expected);
    expect(trust(address, 3)).toBe(expected);
  });

  it('stays bounded under a flood of distinct addresses', () => {
    for (let i = 0; i < 10_000; i++) trust(`10.${(i >> 8) & 255}.${i & 255}.1`, 0);
    expect(trust('127.0.0.1', 0)).toBe(true);
  });
});
