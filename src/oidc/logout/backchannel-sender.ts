/**
 * Delivers the back-channel logouts queued in `oidc_logout_deliveries` (Back-Channel Logout 1.0
 * §2.5–§2.8), whoever queued them — this gateway's `sessionLogout`, an earlier run of it, or
 * `gatehouse sessions revoke` in another process:
 * - a pass at `start`, every `pollInterval`, at each `kick` and whenever a request finishes;
 * - rows are claimed (`claimLogouts`: leased for `timeoutMs` and a margin), so gateways sharing
 *   a database send each logout token once; a gateway that dies mid-request leaves its rows to be
 *   claimed again when their lease ends;
 * - at most `concurrency` requests at a time, and `perClientConcurrency` to one client: a
 *   receiver that hangs holds its client's slots until `timeoutMs`, never the others', and never
 *   more memory (rows are claimed only for free slots);
 * - each a POST of `logout_token=<jwt>` (`application/x-www-form-urlencoded`) to the stored
 *   `uri`, only while it is still the client's registered `backchannel_logout_uri` (else the
 *   row is dropped); redirects are not followed; the token is signed at each attempt (fresh
 *   `iat`/`exp`, the stored `jti`);
 * - a 2xx answer removes the row; anything else (another status, a timeout, a refused
 *   connection) is tried again after `firstRetryDelay` · 2^(attempts−1), at most
 *   `maxRetryDelay`, until the row's `expiresAt`; then it is given up;
 * - audit: one line per logout token delivered (info), per failed attempt (debug), per delivery
 *   given up (warn), with the client, the reason the session ended and the attempts; never a token.
 * Domain code: the clock, the fetch and the intervals are given.
 */
import type { OidcClientConfig } from '../../config/oidc.js';
import type { Clock } from '../../shared/clock.js';
import type { Observer } from '../../shared/observe.js';
import type { LogoutDelivery, OidcRepository } from '../../storage/oidc-repositories.js';
import type { KeyStore } from '../keys.js';
import { signLogoutToken } from './logout-token.js';

/** The log lines the sender writes (pino's shape). */
export interface SenderLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The sender's timings and bounds; every one has a default in {@link backchannelDefaults}. */
export interface BackchannelTuning {
  /** How often the queue is read when nothing kicks it (ms). */
  readonly pollInterval?: number;
  /** Requests in flight at most. */
  readonly concurrency?: number;
  /** Requests in flight to one client at most: a client whose receiver hangs holds only these slots. */
  readonly perClientConcurrency?: number;
  /** How long one request may take, answer included (ms). */
  readonly timeoutMs?: number;
  /** `exp` − `iat` of a logout token (ms). */
  readonly tokenLifetime?: number;
  /** The wait after the first failed attempt (ms); it doubles with each failure … */
  readonly firstRetryDelay?: number;
  /** … up to this (ms). */
  readonly maxRetryDelay?: number;
}

export const backchannelDefaults: Required<BackchannelTuning> = {
  pollInterval: 1_000,
  concurrency: 8,
  perClientConcurrency: 2,
  timeoutMs: 5_000,
  tokenLifetime: 2 * 60_000,
  firstRetryDelay: 2_000,
  maxRetryDelay: 5 * 60_000,
};

/** How long after a request's timeout a claimed row stays leased to the sender that claimed it. */
const leaseMargin = 5_000;

export interface BackchannelSenderOptions extends BackchannelTuning {
  readonly repository: OidcRepository;
  readonly keys: Pick<KeyStore, 'signer'>;
  readonly clients: ReadonlyMap<string, OidcClientConfig>;
  readonly clock: Clock;
  readonly logger: SenderLogger;
  /** The fetch to use (default: Node's). */
  readonly fetch?: typeof fetch;
  /** Told of each token sent, failed attempt and delivery given up (default: nobody). */
  readonly observer?: Pick<Observer, 'event'> | undefined;
}

/** The wait before the next attempt after `failures` failed ones (≥ 1). */
export function retryDelay(failures: number, tuning: Pick<Required<BackchannelTuning>, 'firstRetryDelay' | 'maxRetryDelay'>): number {
  return Math.min(tuning.firstRetryDelay * 2 ** Math.min(failures - 1, 30), tuning.maxRetryDelay);
}

/** The back-channel logout queue's one consumer in a gateway (built by server/, stopped at shutdown). */
export class BackchannelSender {
  readonly #o: Required<BackchannelTuning> & Omit<BackchannelSenderOptions, keyof BackchannelTuning> & { fetch: typeof fetch };
  readonly #inFlight = new Map<number, Promise<void>>();
  /** The deliveries in flight (their clients count against `perClientConcurrency`). */
  readonly #sending = new Map<number, LogoutDelivery>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #pass: Promise<void> | undefined;
  #again = false;

  constructor(options: BackchannelSenderOptions) {
    // An option given as undefined keeps its default.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as BackchannelSenderOptions;
    this.#o = { ...backchannelDefaults, fetch: (input, init) => globalThis.fetch(input, init), ...given };
  }

  /** Starts polling (an unref'd timer) with a first pass at once. */
  start(): void {
    if (this.#running || this.#abort.signal.aborted) return;
    this.#running = true;
    this.#timer = setInterval(() => this.kick(), this.#o.pollInterval);
    this.#timer.unref();
    this.kick();
  }

  /** A pass now (something was queued); nothing once stopped. Never throws, never waits. */
  kick(): void {
    if (!this.#running) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = this.#passes()
      .catch((error: unknown) => this.#o.logger.error({ err: error }, 'back-channel logout: reading the queue failed'))
      .finally(() => {
        this.#pass = undefined;
      });
  }

  /** How many requests are in flight. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves once no pass runs and no request is in flight. */
  async idle(): Promise<void> {
    while (this.#pass || this.#inFlight.size > 0) await Promise.all([this.#pass, ...this.#inFlight.values()]);
  }

  /** Stops: no more passes, requests in flight aborted (not counted as attempts) and waited for. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.idle();
  }

  async #passes(): Promise<void> {
    do {
      this.#again = false;
      await this.#pass1();
    } while (this.#again && this.#running);
  }

  /** Gives up expired rows, then starts the due ones that fit in the free slots. */
  async #pass1(): Promise<void> {
    const { repository, clock, concurrency, logger } = this.#o;
    const now = clock.now();
    for (const d of await repository.dropExpiredLogouts(now)) {
      logger.warn({ ...audit(d), attempts: d.attempts, error: d.lastError }, 'back-channel logout given up: its lifetime passed without a 2xx answer');
      this.#o.observer?.event({ event: 'backchannel_logout', outcome: 'given_up', clientId: d.clientId, reason: 'its lifetime passed without a 2xx answer' });
    }
    const free = concurrency - this.#inFlight.size;
    if (free <= 0 || !this.#running) return;
    const perClient = new Map<string, number>();
    for (const { clientId } of this.#sending.values()) perClient.set(clientId, (perClient.get(clientId) ?? 0) + 1);
    const full = [...perClient].filter(([, n]) => n >= this.#o.perClientConcurrency).map(([clientId]) => clientId);
    // Claimed rows are leased to this sender (not due for others) for a request's timeout and a margin.
    const claimed = await repository.claimLogouts(now, free, now + this.#o.timeoutMs + leaseMargin, full);
    for (const d of claimed) {
      const sending = this.#deliver(d)
        .catch((error: unknown) => logger.error({ err: error, ...audit(d) }, 'back-channel logout: recording an attempt failed'))
        .finally(() => {
          this.#inFlight.delete(d.id);
          this.#sending.delete(d.id);
          this.kick();
        });
      this.#inFlight.set(d.id, sending);
      this.#sending.set(d.id, d);
    }
    // One row per client per claim: claim again while slots and rows remain.
    if (claimed.length > 0 && claimed.length < free) this.#again = true;
  }

  /** One attempt; every outcome changes the row (removed or rescheduled), except an abort by `stop`. */
  async #deliver(d: LogoutDelivery): Promise<void> {
    const { repository, clock, logger } = this.#o;
    const client = this.#o.clients.get(d.clientId);
    const unsendable =
      client?.backchannelLogoutUri !== d.uri
        ? 'the client no longer registers this backchannel_logout_uri'
        : client.backchannelLogoutSessionRequired && !d.sid
          ? 'the client requires a sid and the session had none'
          : !d.sid && !d.subject
            ? 'neither sid nor sub is known'
            : undefined;
    if (unsendable !== undefined) {
      await repository.logoutDelivered(d.id);
      logger.warn({ ...audit(d), attempts: d.attempts }, `back-channel logout given up: ${unsendable}`);
      this.#o.observer?.event({ event: 'backchannel_logout', outcome: 'given_up', clientId: d.clientId, reason: unsendable });
      return;
    }
    const error = await this.#attempt(d, client!);
    if (error === undefined) {
      await repository.logoutDelivered(d.id);
      logger.info({ ...audit(d), attempts: d.attempts + 1 }, 'back-channel logout token delivered');
      this.#o.observer?.event({ event: 'backchannel_logout', outcome: 'sent', clientId: d.clientId });
      return;
    }
    if (this.#abort.signal.aborted) return;
    const nextAttemptAt = clock.now() + retryDelay(d.attempts + 1, this.#o);
    await repository.logoutFailed(d.id, nextAttemptAt, error);
    logger.debug({ ...audit(d), attempts: d.attempts + 1, error, nextAttemptAt: new Date(nextAttemptAt).toISOString() }, 'back-channel logout attempt failed');
    this.#o.observer?.event({ event: 'backchannel_logout', outcome: 'failed', clientId: d.clientId, reason: error });
  }

  /** Signs and POSTs the logout token; undefined on a 2xx answer, else why not. */
  async #attempt(d: LogoutDelivery, client: OidcClientConfig): Promise<string | undefined> {
    const { timeoutMs } = this.#o;
    let token: string;
    try {
      token = await signLogoutToken(this.#o.keys, {
        issuer: d.issuer,
        clientId: d.clientId,
        subject: d.subject,
        sid: d.sid,
        jti: d.jti,
        now: this.#o.clock.now(),
        lifetime: this.#o.tokenLifetime,
        algorithm: client.idTokenSignedResponseAlg,
      });
    } catch (error) {
      return `signing the logout token failed: ${(error as Error).message}`;
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.#o.fetch(d.uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
        redirect: 'manual',
        signal: AbortSignal.any([timeout, this.#abort.signal]),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? undefined : `answered ${response.status}`;
    } catch (error) {
      if (timeout.aborted) return `no answer within ${timeoutMs} ms`;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return `request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
    }
  }
}

/** What every audit line of a delivery names (never the token). */
function audit(d: LogoutDelivery) {
  return { clientId: d.clientId, reason: d.reason, jti: d.jti, uri: d.uri };
}
