import type { Clock } from '../shared/clock.js';
import { Availability, type StoreHealth, withDeadline } from '../shared/store-health.js';
import { StorageUnavailableError } from './unavailable.js';

/**
 * The one place where a network database's failures (PostgreSQL's, MySQL's) become
 * StorageUnavailableError, for every repository of the provider, and where the outcome of each
 * call is told to `availability` (and so to `/api/health` and the log).
 */
export class StorageGuard implements StoreHealth {
  readonly store: string;
  readonly availability: Availability;
  readonly #timeout: number;
  readonly #ping: () => Promise<unknown>;
  readonly #classify: (error: unknown, timeout: number) => string | undefined;

  /**
   * `store` is the configuration key (`storage.postgres`); `ping` asks the server a trivial
   * question (the probe); `timeout` is the store's `timeout`; `classify` says why an error means
   * the server cannot answer (undefined: another failure).
   */
  constructor(options: {
    clock: Clock;
    timeout: number;
    ping: () => Promise<unknown>;
    store: string;
    classify: (error: unknown, timeout: number) => string | undefined;
  }) {
    this.store = options.store;
    this.availability = new Availability(options.clock);
    this.#timeout = options.timeout;
    this.#ping = options.ping;
    this.#classify = options.classify;
  }

  /** Runs `call`; a failure meaning the server cannot answer rejects as StorageUnavailableError. */
  async run<R>(call: () => Promise<R>): Promise<R> {
    let result: R;
    try {
      result = await call();
    } catch (error) {
      const reason = error instanceof StorageUnavailableError ? error.reason : this.#classify(error, this.#timeout);
      if (reason === undefined) {
        this.availability.answered(); // the server answered, with an error of another kind
        throw error;
      }
      this.availability.failed(reason);
      throw error instanceof StorageUnavailableError ? error : new StorageUnavailableError(this.store, reason, error);
    }
    this.availability.answered();
    return result;
  }

  /**
   * `repository` with every method run through {@link run} (bound to the repository itself, so
   * its private fields work). Repository methods are asynchronous; what another returns is
   * passed through.
   */
  wrap<T extends object>(repository: T): T {
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(repository, {
      get: (target, name) => {
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        let method = wrapped.get(name);
        if (method === undefined) {
          method = (...args: unknown[]) => this.run(async () => value.apply(target, args));
          wrapped.set(name, method);
        }
        return method;
      },
    });
  }

  /** `SELECT 1` through {@link run}, given up after the store's `timeout` even if the driver waits longer. */
  async probe(): Promise<void> {
    const late = () => new StorageUnavailableError(this.store, `no answer within ${this.#timeout / 1000} s (${this.store}.timeout)`, undefined);
    await this.run(() => withDeadline(this.#ping(), this.#timeout, late));
  }
}
