import type { Clock } from '../../shared/clock.js';

export interface AttemptLimiterOptions {
  /** Failures allowed within `window`; the next attempt is refused. */
  readonly maxFailures: number;
  /** Milliseconds. */
  readonly window: number;
  readonly clock: Clock;
  /** Keys tracked at most (oldest forgotten first), bounding memory; default 10 000. */
  readonly maxKeys?: number;
}

/**
 * A sliding-window limiter for second-factor attempts (e.g. 5 failed TOTP codes per user in
 * 5 minutes). In memory, per process: a brake on guessing, not a ban; bans are the
 * {@link Regulator}'s job.
 */
export class AttemptLimiter {
  readonly #options: AttemptLimiterOptions;
  readonly #failures = new Map<string, number[]>();

  constructor(options: AttemptLimiterOptions) {
    this.#options = options;
  }

  /** Whether `key` may try now; when not, `retryAt` is when it may (ms since epoch). */
  check(key: string): { readonly allowed: boolean; readonly retryAt?: number } {
    const recent = this.#recent(key);
    if (recent.length < this.#options.maxFailures) return { allowed: true };
    return { allowed: false, retryAt: recent[recent.length - this.#options.maxFailures]! + this.#options.window };
  }

  /** Counts a failed attempt of `key`. */
  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#options.clock.now());
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    const maxKeys = this.#options.maxKeys ?? 10_000;
    for (const oldest of this.#failures.keys()) {
      if (this.#failures.size <= maxKeys) break;
      this.#failures.delete(oldest);
    }
  }

  /** Forgets the failures of `key` (after a success). */
  reset(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#options.clock.now() - this.#options.window;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
