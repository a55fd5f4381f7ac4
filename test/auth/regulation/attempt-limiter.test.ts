import { describe, expect, it } from 'vitest';
import { AttemptLimiter } from '../../../src/auth/regulation/attempt-limiter.js';
import { ManualClock } from '../../../src/shared/clock.js';

describe('AttemptLimiter', () => {
  it('refuses after maxFailures within the window, until the oldest counted failure leaves it', () => {
    const clock = new ManualClock(0);
    const limiter = new AttemptLimiter({ maxFailures: 3, window: 60_000, clock });
    limiter.fail('john');
    clock.advance(10_000);
    limiter.fail('john');
    clock.advance(10_000);
    expect(limiter.check('john')).toEqual({ allowed: true });
    limiter.fail('john');
    expect(limiter.check('john')).toEqual({ allowed: false, retryAt: 60_000 });
    expect(limiter.check('harry')).toEqual({ allowed: true });
    clock.set(59_999);
    expect(limiter.check('john').allowed).toBe(false);
    clock.set(60_000);
    expect(limiter.check('john')).toEqual({ allowed: true });
  });

  it('forgets failures after a success', () => {
    const clock = new ManualClock(0);
    const limiter = new AttemptLimiter({ maxFailures: 2, window: 60_000, clock });
    limiter.fail('john');
    limiter.fail('john');
    expect(limiter.check('john').allowed).toBe(false);
    limiter.reset('john');
    expect(limiter.check('john').allowed).toBe(true);
  });

  it('bounds memory by forgetting the least recently failed keys', () => {
    const clock = new ManualClock(0);
    const limiter = new AttemptLimiter({ maxFailures: 1, window: 60_000, clock, maxKeys: 2 });
    limiter.fail('a');
    limiter.fail('b');
    limiter.fail('c');
    expect([limiter.check('a').allowed, limiter.check('b').allowed, limiter.check('c').allowed]).toEqual([true, false, false]);
  });
});
