import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import { sendKo } from '../shared/http/ko.js';
import type { Outage, StoreHealth } from '../shared/store-health.js';

/** How long one probe of the stores answers every health check (load balancers ask often). */
export const healthProbeInterval = 1_000;

/** A store that did not answer the last probe: its configuration key, since when and why. */
export interface StoreOutage extends Outage {
  readonly store: string;
}

/**
 * Whether the stores Gatehouse needs while running (PostgreSQL storage, Redis sessions) answer.
 * Each store is asked at most once per `interval` (the answer is shared by the checks that
 * come meanwhile, and by those that arrive while a probe is running); a probe lasts at most the
 * store's own timeout. Nothing to probe (SQLite, a local file): always healthy.
 */
export class HealthCheck {
  readonly #stores: readonly StoreHealth[];
  readonly #clock: Clock;
  readonly #interval: number;
  #last: { readonly at: number; readonly outages: readonly StoreOutage[] } | undefined;
  #running: Promise<readonly StoreOutage[]> | undefined;

  constructor(options: { stores: readonly StoreHealth[]; clock: Clock; interval?: number }) {
    this.#stores = options.stores;
    this.#clock = options.clock;
    this.#interval = options.interval ?? healthProbeInterval;
  }

  /** The stores that did not answer the latest probe (empty: healthy). */
  async outages(): Promise<readonly StoreOutage[]> {
    const last = this.#last;
    if (last !== undefined && this.#clock.now() - last.at < this.#interval) return last.outages;
    this.#running ??= this.#probe().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #probe(): Promise<readonly StoreOutage[]> {
    const at = this.#clock.now();
    const results = await Promise.all(
      this.#stores.map(async (health): Promise<StoreOutage | undefined> => {
        try {
          await health.probe();
          return undefined;
        } catch (error) {
          // The probe's failure started (or continues) the store's outage; a failure of another
          // kind (a bug) still makes the store unhealthy, since now.
          const outage = health.availability.outage ?? { since: at, reason: `the probe failed (${error instanceof Error ? error.name : 'error'})` };
          return { store: health.store, ...outage };
        }
      }),
    );
    const outages = results.filter((r) => r !== undefined);
    this.#last = { at, outages };
    return outages;
  }
}

/** `store is unavailable since <ISO time>: reason`, one clause per store. */
export function describeOutages(outages: readonly StoreOutage[]): string {
  return outages.map((o) => `${o.store} is unavailable since ${new Date(o.since).toISOString()}: ${o.reason}`).join('; ');
}

/**
 * `GET /api/health`: 200 `{"status":"OK"}` (Authelia's shape, so existing health checks keep
 * working) once the gateway serves and while every store it needs answers; 503
 * `{"status":"KO","message":"storage.postgres is unavailable since …: connection refused (ECONNREFUSED)"}`
 * while one does not — the message names the store's key, since when and why, never an
 * address or a secret. It turns 200 again by itself once the store answers.
 */
export function healthGET(health: HealthCheck) {
  return async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const outages = await health.outages();
    void reply.header('cache-control', 'no-store');
    if (outages.length > 0) return sendKo(reply, 503, describeOutages(outages));
    return reply.send({ status: 'OK' });
  };
}

/** Logs each store's outage once when it starts (warn) and once when it ends (info). */
export function logOutages(stores: readonly StoreHealth[], logger: Pick<Logger, 'warn' | 'info'>): void {
  for (const { store, availability } of stores) {
    availability.listen({
      lost: (outage) =>
        logger.warn(
          { store, reason: outage.reason },
          `${store} is unavailable (${outage.reason}): requests that need it are refused with 503 until it answers`,
        ),
      back: (outage, now) => logger.info({ store, unavailableMs: now - outage.since }, `${store} answers again`),
    });
  }
}
