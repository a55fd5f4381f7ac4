import { describe, expect, it } from 'vitest';
import { canonicalIp } from '../../src/shared/client-ip.js';

describe('canonicalIp', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:10.0.0.8', '10.0.0.8'],
    ['10.0.0.8', '10.0.0.8'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['::1', '::1'],
    ['not an ip', 'not an ip'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });
});
