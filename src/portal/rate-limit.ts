/**
 * `server.endpoints.rate_limits`: Authelia's per-IP rate limits in front of the portal endpoints
 * that send mail or check codes (its `middlewares/rate_limiting.go`).
 *
 * Enforces:
 * - each bucket is a token bucket per client IP (the listener's `RequestView.ip`): `requests`
 *   at once, one more every `period`; a request takes a token from every bucket of its group;
 * - a request some bucket cannot serve → 429 `{"status":"KO","message":"Too Many Requests"}` with
 *   `Retry-After` (whole seconds until that bucket has a token again, rounded up);
 * - counters live in this process's memory (Authelia's do too): several instances each count
 *   apart; a restart forgets them. At most {@link maxClients} addresses are held per group: past
 *   that, addresses whose buckets are full again are dropped, then the oldest.
 */
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { ElevatedSessionConfig } from '../config/identity-validation.js';
import type { RateLimitBucket, RateLimitConfig } from '../config/server-endpoints.js';
import type { Clock } from '../shared/clock.js';
import { sendKo } from '../shared/http/ko.js';
import { requestViewOf } from '../shared/http/request-view.js';

/** The most client addresses one group remembers. */
export const maxClients = 50_000;

/** One group's buckets, per client address. */
export class RateLimiter {
  /** Per address: for each bucket, its tokens then the time they were counted. */
  readonly #clients = new Map<string, Float64Array>();
  readonly #periods: Float64Array;
  readonly #capacities: Float64Array;

  constructor(
    buckets: readonly { readonly period: number; readonly requests: number }[],
    private readonly clock: Clock,
  ) {
    this.#periods = Float64Array.from(buckets, (b) => b.period);
    this.#capacities = Float64Array.from(buckets, (b) => b.requests);
  }

  /** Takes a token from every bucket for `ip`: 0 when all had one, else the milliseconds until the emptiest has one again. */
  take(ip: string): number {
    const now = this.clock.now();
    const state = this.#clients.get(ip) ?? this.#admit(ip, now);
    let wait = 0;
    for (let i = 0; i < this.#periods.length; i++) {
      const period = this.#periods[i]!;
      const tokens = Math.min(this.#capacities[i]!, state[2 * i]! + (now - state[2 * i + 1]!) / period);
      state[2 * i + 1] = now;
      // A token refilled to within rounding of whole counts as whole (0.1666… + 0.8333… is one token).
      if (tokens >= 1 - 1e-9) state[2 * i] = Math.max(0, tokens - 1);
      else {
        state[2 * i] = tokens;
        wait = Math.max(wait, (1 - tokens) * period);
      }
    }
    return Math.round(wait);
  }

  #admit(ip: string, now: number): Float64Array {
    if (this.#clients.size >= maxClients) this.#forget(now);
    const state = new Float64Array(2 * this.#periods.length);
    for (let i = 0; i < this.#periods.length; i++) {
      state[2 * i] = this.#capacities[i]!;
      state[2 * i + 1] = now;
    }
    this.#clients.set(ip, state);
    return state;
  }

  /** Drops the addresses whose buckets are all full again, then the oldest until there is room. */
  #forget(now: number): void {
    for (const [ip, state] of this.#clients) {
      let full = true;
      for (let i = 0; i < this.#periods.length && full; i++) full = state[2 * i]! + (now - state[2 * i + 1]!) / this.#periods[i]! >= this.#capacities[i]!;
      if (full) this.#clients.delete(ip);
    }
    for (const ip of this.#clients.keys()) {
      if (this.#clients.size < maxClients) break;
      this.#clients.delete(ip);
    }
  }

  /** How many addresses are remembered (for tests of the bound). */
  get size(): number {
    return this.#clients.size;
  }
}

/** The buckets in milliseconds: Authelia's session-elevation defaults are multiples of the elevation lifespans. */
export function resolveBuckets(buckets: readonly RateLimitBucket[], elevation: ElevatedSessionConfig): { period: number; requests: number }[] {
  return buckets.map(({ period, requests, per }) => {
    if (per === 'code_lifespan') return { period: period * elevation.codeLifespan, requests };
    if (per === 'elevation_lifespan') return { period: period * elevation.elevationLifespan, requests };
    return { period, requests };
  });
}

/** The fastify guard of one group, or undefined when the group is off (`enable: false`). */
export function rateLimit(
  config: RateLimitConfig,
  deps: { readonly clock: Clock; readonly elevation: ElevatedSessionConfig },
): preHandlerHookHandler | undefined {
  if (!config.enable || config.buckets.length === 0) return undefined;
  const limiter = new RateLimiter(resolveBuckets(config.buckets, deps.elevation), deps.clock);
  return (request: FastifyRequest, reply: FastifyReply, done) => {
    const ip = requestViewOf(request.raw).ip;
    const wait = limiter.take(ip);
    if (wait === 0) return done();
    request.log.warn({ ip, path: request.url, retryAfter: Math.ceil(wait / 1000) }, 'rate limit exceeded');
    sendKo(reply.header('retry-after', String(Math.ceil(wait / 1000))).header('cache-control', 'no-store'), 429, 'Too Many Requests');
  };
}
