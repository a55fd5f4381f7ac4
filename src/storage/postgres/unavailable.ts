import type { Clock } from '../../shared/clock.js';
import { Availability, type StoreHealth, withDeadline } from '../../shared/store-health.js';
import { StorageUnavailableError } from '../unavailable.js';

/** The configuration key named in errors, logs and `/api/health`. */
const store = 'storage.postgres';

/** Node.js network error codes: the server cannot be reached, or the connection was lost. */
const network: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  EHOSTDOWN: 'host down',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  ENOTFOUND: 'host name not resolved',
  EAI_AGAIN: 'host name not resolved',
  ENOENT: 'no socket at the address',
};

/** SQLSTATEs (PostgreSQL manual, appendix A) saying the server cannot serve now; 57014 is handled apart. */
const serverStates: Readonly<Record<string, string>> = {
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or recovering',
  '53300': 'too many connections',
};

/**
 * Why `error` — from pg or pg-pool — means that PostgreSQL cannot answer now, in a few words
 * without the address, or undefined when it is another failure (a constraint, a bug: those
 * stay what they are). Connection failures, lost connections, the server shutting down, the
 * pool finding no connection and a statement cut by `statement_timeout` (57014, `timeout` ms) count.
 */
export function unavailability(error: unknown, timeout: number): string | undefined {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const late = `no answer within ${timeout / 1000} s (storage.postgres.timeout)`;
  const reason = network[code] ?? serverStates[code];
  if (reason !== undefined) return `${reason} (${code})`;
  if (code.startsWith('08')) return `connection failure (${code})`;
  if (code === '57014') return /statement timeout/i.test(message) ? late : `statement cancelled (${code})`;
  if (/^Connection terminated due to connection timeout/.test(message) || /^Query read timeout/.test(message)) return late;
  if (/^Connection terminated/.test(message) || /not queryable/.test(message)) return 'connection lost';
  if (/^timeout exceeded when trying to connect/.test(message)) return `no free connection within ${timeout / 1000} s (storage.postgres.timeout)`;
  // Several addresses tried at once (a name with IPv4 and IPv6): Node.js reports them together.
  if (Array.isArray(e?.errors)) {
    for (const inner of e.errors) {
      const found = unavailability(inner, timeout);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The one place where a network database's failures become StorageUnavailableError, for every
 * repository of the provider, and where the outcome of each call is told to `availability` (and
 * so to `/api/health` and the log). PostgreSQL's by default; MySQL's provider gives its own
 * `store` and `classify`.
 */
export class StorageGuard implements StoreHealth {
  readonly store: string;
  readonly availability: Availability;
  readonly #timeout: number;
  readonly #ping: () => Promise<unknown>;
  readonly #classify: (error: unknown, timeout: number) => string | undefined;

  /**
   * `ping` asks the server a trivial question (the probe); `timeout` is the store's `timeout`;
   * `classify` says why an error means the server cannot answer (undefined: another failure).
   */
  constructor(options: {
    clock: Clock;
    timeout: number;
    ping: () => Promise<unknown>;
    store?: string;
    classify?: (error: unknown, timeout: number) => string | undefined;
  }) {
    this.store = options.store ?? store;
    this.availability = new Availability(options.clock);
    this.#timeout = options.timeout;
    this.#ping = options.ping;
    this.#classify = options.classify ?? unavailability;
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
