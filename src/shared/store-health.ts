import type { Clock } from './clock.js';

/** A store failing since `since` (ms since the epoch) for `reason` (a few words, no address, no secret). */
export interface Outage {
  readonly since: number;
  readonly reason: string;
}

/** What `/api/health` asks of a store Gatehouse needs while running (PostgreSQL storage, Redis sessions). */
export interface StoreHealth {
  /** The configuration key of the store: `storage.postgres`, `session.redis`. */
  readonly store: string;
  /** What the store's calls (requests and probes) have seen lately. */
  readonly availability: Availability;
  /**
   * Asks the store a trivial question, through the same path as requests (so its answer or
   * failure is told to `availability`). Settles within the store's own timeout: resolves when it
   * answered, rejects (a StoreUnavailableError) when it did not.
   */
  probe(): Promise<void>;
}

/** Hears each outage start and end once (the server logs them), and, if it asks, every failed call (the metrics count them). */
export interface OutageListener {
  lost?(outage: Outage): void;
  back?(outage: Outage, now: number): void;
  failed?(reason: string): void;
}

/**
 * One store's availability, followed from what its calls do: the first failure starts an
 * outage, the next answer ends it. Cheap enough to be told about every call.
 */
export class Availability {
  readonly #clock: Clock;
  readonly #listeners: OutageListener[] = [];
  #outage: Outage | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The outage going on — seen by a call, not yet ended by an answer — or undefined. */
  get outage(): Outage | undefined {
    return this.#outage;
  }

  /** Tells `listener` of every outage from now on. */
  listen(listener: OutageListener): void {
    this.#listeners.push(listener);
  }

  /** A call failed because the store cannot answer; starts an outage unless one is going on. */
  failed(reason: string): void {
    for (const listener of this.#listeners) listener.failed?.(reason);
    if (this.#outage !== undefined) return;
    const outage = { since: this.#clock.now(), reason };
    this.#outage = outage;
    for (const listener of this.#listeners) listener.lost?.(outage);
  }

  /** A call was answered; ends the outage, if any. */
  answered(): void {
    const ended = this.#outage;
    if (ended === undefined) return;
    this.#outage = undefined;
    const now = this.#clock.now();
    for (const listener of this.#listeners) listener.back?.(ended, now);
  }
}

/**
 * `work`, or the error `late()` makes once `ms` have passed without it settling (`work` is left
 * to finish or fail on its own). Bounds a probe by the store's timeout whatever the driver does.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
