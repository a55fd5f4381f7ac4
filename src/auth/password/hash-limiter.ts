import { GatehouseError } from '../../shared/errors.js';

/** Password hashing is at its limit and its queue is full: the attempt is refused, not queued (503). */
export class PasswordHashingBusyError extends GatehouseError {
  constructor() {
    super('GH_PASSWORD_HASHING_BUSY', 'Too many sign-ins are being checked right now. Try again in a moment.', { expose: true });
  }
}

export interface HashLimits {
  /** Most password hashes computed at once. */
  readonly concurrency: number;
  /** Most hashes waiting for a turn; one more is refused with {@link PasswordHashingBusyError}. */
  readonly queue: number;
}

/**
 * Bounds password hashing (argon2id: ~64 MiB and tens of milliseconds of a core each), so that
 * logins cannot take every core from the event loop: at most `concurrency` hashes run at once,
 * at most `queue` wait (first come, first served), and beyond that an attempt fails at once with
 * {@link PasswordHashingBusyError} — never an unbounded backlog. A refused attempt verifies
 * nothing and is not counted by regulation (it never reached the password).
 */
export class HashLimiter {
  readonly #limits: HashLimits;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limits: HashLimits) {
    if (!(limits.concurrency >= 1) || !(limits.queue >= 0)) throw new RangeError(`HashLimiter: concurrency ≥ 1 and queue ≥ 0 (got ${JSON.stringify(limits)})`);
    this.#limits = limits;
  }

  /** Hashes running now. */
  get running(): number {
    return this.#running;
  }

  /** Hashes waiting for a turn. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` (one hash) within the limits.
   * @throws PasswordHashingBusyError when every slot is busy and the queue is full.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limits.concurrency) {
      if (this.#waiting.length >= this.#limits.queue) throw new PasswordHashingBusyError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; only when none waits is it freed.
      if (next) next();
      else this.#running--;
    }
  }
}
