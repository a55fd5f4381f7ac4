import { createHmac, hkdfSync } from 'node:crypto';
import { type Redis, ReplyError } from 'ioredis';
import type { Clock } from '../shared/clock.js';
import { Availability, type StoreHealth } from '../shared/store-health.js';
import type { Random } from '../shared/random.js';
import { AesGcmCipher } from '../storage/cipher.js';
import type { DeletedSession } from '../storage/storage.js';
import { deleteScript, deleteUserScript, purgeScript, saveScript } from './redis-scripts.js';
import { type SessionState, toSessionState } from './session.js';
import { SessionStoreUnavailableError } from './store-error.js';
import type { SessionStore } from './store.js';

/** Where Gatehouse's keys live in the Redis database, unless told otherwise. */
export const defaultRedisPrefix = 'gatehouse:session:';

/** Signed-in sessions claimed per purge script run (Redis runs nothing else meanwhile). */
const purgeBatch = 500;

export interface RedisSessionStoreOptions {
  /** The command connection (connected: redis-connection.ts). */
  readonly client: Redis;
  /** `session.secret`: the encryption and index keys are derived from it. */
  readonly secret: string;
  /** Turns a session's end into a Redis TTL (so that Redis's own clock does not matter). */
  readonly clock: Clock;
  readonly random: Random;
  /** Key and channel prefix (default {@link defaultRedisPrefix}; tests use their own). */
  readonly prefix?: string;
  /** Failures other than a lost connection (a script error, NOPERM, OOM…): one line each. */
  readonly onError?: (error: unknown) => void;
}

interface Sealed {
  readonly s: SessionState;
  readonly e: number;
}

/**
 * A SessionStore over Redis, for several instances sharing sessions.
 *
 * - Keys name the session ID's hash, never the ID; the user index is named by a keyed hash of
 *   the username. Values are AES-256-GCM under a key derived from `session.secret`, bound to
 *   their hash, so a Redis dump shows no username, group or state, and a value moved to
 *   another key does not decrypt. A value that does not decrypt (another secret) reads as absent.
 * - A session expires in Redis at its end: a TTL (PX) of its end minus this instance's clock,
 *   so Redis's clock does not matter, only the instances' agreeing. Signed-in sessions also leave a small
 *   stub (who, and the OpenID Connect `sid`) in an expiry index, so that the purge can announce
 *   those Redis expired: it claims each one atomically, so across instances each is returned once.
 * - Every write publishes the hashes it changed on `<prefix>changes` ({@link RedisSessionChanges}).
 * - Any failure throws SessionStoreUnavailableError (503): never "no session". Each call's
 *   outcome is told to `health.availability` (so `/api/health` reports an outage while it lasts).
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: Redis;
  readonly #clock: Clock;
  readonly #cipher: AesGcmCipher;
  readonly #indexKey: Buffer;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;
  /** Names this store in what it publishes, so its own changes are not applied twice. */
  readonly origin: string;
  /** The channel changes are published on. */
  readonly channel: string;
  /** Reachability for `/api/health`: the probe is a PING, bounded by `session.redis.timeout` (the command timeout). */
  readonly health: StoreHealth;

  constructor(options: RedisSessionStoreOptions) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#cipher = new AesGcmCipher(derive(options.secret, 'gatehouse:session:redis:encryption:v1').toString('base64url'));
    this.#indexKey = derive(options.secret, 'gatehouse:session:redis:user-index:v1');
    this.#prefix = options.prefix ?? defaultRedisPrefix;
    this.#onError = options.onError ?? (() => undefined);
    this.origin = options.random.bytes(9).toString('base64url');
    this.channel = `${this.#prefix}changes`;
    const availability = new Availability(options.clock);
    this.health = { store: 'session.redis', availability, probe: async () => void (await this.#call(() => this.#client.ping())) };
  }

  async get(idHash: string): Promise<SessionState | undefined> {
    const value = await this.#call(() => this.#client.get(this.#data(idHash)));
    return value === null ? undefined : this.#open(idHash, value)?.s;
  }

  async set(idHash: string, state: SessionState, expiresAt: number): Promise<void> {
    const sealed = this.#seal(`session:${idHash}`, { s: state, e: expiresAt } satisfies Sealed);
    const signedIn = state.username !== '';
    const tag = signedIn ? this.#tag(state.username) : '';
    const stub = signedIn ? this.#seal(`session-stub:${idHash}`, { u: state.username, sid: state.sid ?? null }) : '';
    const keys = [this.#data(idHash), this.#ends, this.#stubs, this.#user(tag)];
    const ttl = Math.max(1, expiresAt - this.#clock.now());
    const args = [idHash, sealed, ttl, expiresAt, tag, stub, this.#userPrefix, this.channel, this.#message([idHash])];
    await this.#call(() => saveScript.run(this.#client, keys, args));
  }

  async delete(idHash: string): Promise<void> {
    const keys = [this.#data(idHash), this.#ends, this.#stubs];
    await this.#call(() => deleteScript.run(this.#client, keys, [idHash, this.#userPrefix, this.channel, this.#message([idHash])]));
  }

  async deleteUser(username: string): Promise<DeletedSession[]> {
    const keys = [this.#user(this.#tag(username)), this.#ends, this.#stubs];
    const claimed = await this.#call(() => deleteUserScript.run(this.#client, keys, [`${this.#prefix}data:`, this.channel, this.origin]));
    return this.#stubsOf(claimed);
  }

  async purgeExpired(now: number): Promise<DeletedSession[]> {
    const purged: DeletedSession[] = [];
    for (;;) {
      const args = [now, purgeBatch, `${this.#prefix}data:`, this.#userPrefix, this.channel, this.origin];
      const claimed = await this.#call(() => purgeScript.run(this.#client, [this.#ends, this.#stubs], args));
      const batch = Array.isArray(claimed) ? claimed.length / 2 : 0;
      purged.push(...this.#stubsOf(claimed));
      if (batch < purgeBatch) return purged;
    }
  }

  async listUser(username: string): Promise<{ idHash: string; state: SessionState; expiresAt: number }[]> {
    const hashes = await this.#call(() => this.#client.smembers(this.#user(this.#tag(username))));
    if (hashes.length === 0) return [];
    const values = await this.#call(() => this.#client.mget(hashes.map((h) => this.#data(h))));
    return hashes.flatMap((idHash, i) => {
      const value = values[i];
      const sealed = value === null || value === undefined ? undefined : this.#open(idHash, value);
      return sealed && sealed.s.username === username ? [{ idHash, state: sealed.s, expiresAt: sealed.e }] : [];
    });
  }

  /** `<origin> <idHash>…`: what a change publishes. */
  #message(hashes: readonly string[]): string {
    return [this.origin, ...hashes].join(' ');
  }

  #stubsOf(claimed: unknown): DeletedSession[] {
    if (!Array.isArray(claimed)) return [];
    const out: DeletedSession[] = [];
    for (let i = 0; i + 1 < claimed.length; i += 2) {
      const idHash = String(claimed[i]);
      const stub = String(claimed[i + 1]);
      const opened = this.#unseal<{ u: string; sid: string | null }>(`session-stub:${idHash}`, stub.slice(stub.indexOf(' ') + 1));
      if (opened) out.push({ idHash, username: opened.u, sid: opened.sid ?? undefined });
    }
    return out;
  }

  /** The sealed session and its expiry; undefined when it does not open, or holds no session of this version's shape. */
  #open(idHash: string, value: string): Sealed | undefined {
    const sealed = this.#unseal<{ s?: unknown; e?: unknown }>(`session:${idHash}`, value);
    const state = toSessionState(sealed?.s);
    return state === undefined || typeof sealed?.e !== 'number' ? undefined : { s: state, e: sealed.e };
  }

  #seal(context: string, value: unknown): string {
    return this.#cipher.encrypt(JSON.stringify(value), context).toString('base64url');
  }

  #unseal<T>(context: string, value: string): T | undefined {
    try {
      return JSON.parse(this.#cipher.decrypt(Buffer.from(value, 'base64url'), context).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  #tag(username: string): string {
    return createHmac('sha256', this.#indexKey).update(username).digest('base64url');
  }

  #data(idHash: string): string {
    return `${this.#prefix}data:${idHash}`;
  }

  #user(tag: string): string {
    return `${this.#userPrefix}${tag}`;
  }

  get #userPrefix(): string {
    return `${this.#prefix}user:`;
  }

  get #ends(): string {
    return `${this.#prefix}ends`;
  }

  get #stubs(): string {
    return `${this.#prefix}stubs`;
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await command();
    } catch (error) {
      if (error instanceof ReplyError) this.#onError(error);
      const reason = failure(error);
      this.health.availability.failed(reason);
      throw new SessionStoreUnavailableError(error, reason);
    }
    this.health.availability.answered();
    return result;
  }
}

/** What a failed command says about Redis, in a few words (no address). */
function failure(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (error instanceof ReplyError) return `Redis refused the command (${message.split(' ')[0]})`;
  return /timed out/i.test(message) ? 'no answer in time (session.redis.timeout)' : 'connection lost';
}

function derive(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}
