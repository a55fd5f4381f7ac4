import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { Random } from '../../shared/random.js';
import type { OneTimeCodeRepository } from '../../storage/storage.js';

export interface OneTimeCodesOptions {
  readonly repository: OneTimeCodeRepository;
  readonly clock: Clock;
  readonly random: Random;
  /** Milliseconds a code stays valid; default 5 minutes (Authelia's `code_lifespan`). */
  readonly lifespan?: number;
  /** Wrong guesses that revoke a code; default 5. */
  readonly maxAttempts?: number;
  /** Characters per code; default 8 (Authelia's `identity_validation.elevated_session.characters`). */
  readonly characters?: number;
}

/** A code just issued, and the ID that revokes it (Authelia's `delete_id`); only the code's hash is stored. */
export interface IssuedCode {
  readonly code: string;
  readonly revocationId: string;
}

/** 32 letters and digits without the look-alikes 0/O and 1/I; 256 is a multiple of 32, so picks are uniform. */
const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Characters per code (Authelia's `characters` default). */
export const oneTimeCodeLength = 8;

/**
 * One-time codes for identity checks (e.g. before TOTP enrolment), sent to the user through the
 * notifier. Only a hash is stored; a code is single-use, bound to a user and an intent, expires
 * after `lifespan`, and is revoked by a newer code or by `maxAttempts` wrong guesses.
 */
export class OneTimeCodes {
  readonly #repository: OneTimeCodeRepository;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #lifespan: number;
  readonly #maxAttempts: number;
  readonly #characters: number;

  constructor(options: OneTimeCodesOptions) {
    this.#repository = options.repository;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#lifespan = options.lifespan ?? 300_000;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#characters = options.characters ?? oneTimeCodeLength;
  }

  /** Milliseconds a code stays valid. */
  get lifespan(): number {
    return this.#lifespan;
  }

  /** A new code for (`username`, `intent`), e.g. `session-elevation`; earlier codes for it are revoked. */
  async issue(username: string, intent: string): Promise<string> {
    return (await this.issueRevocable(username, intent)).code;
  }

  /**
   * A new code, as {@link issue}, with the ID that revokes it: the username and a tag of the
   * code's stored hash, which only the code's recipient (or the database) can know.
   */
  async issueRevocable(username: string, intent: string): Promise<IssuedCode> {
    const now = this.#clock.now();
    const code = [...this.#random.bytes(this.#characters)].map((b) => alphabet[b % alphabet.length]).join('');
    const codeHash = hash(username, intent, code);
    await this.#repository.revokeActive(username, intent, now);
    await this.#repository.insert({ username, intent, codeHash, issuedAt: now, expiresAt: now + this.#lifespan });
    return { code, revocationId: `${Buffer.from(username).toString('base64url')}.${revocationTag(codeHash).toString('base64url')}` };
  }

  /**
   * Revokes the active code of `intent` that `revocationId` names; whether there was one (an
   * unknown, malformed, used, expired or already revoked ID is `false`). Returns its user.
   */
  async revoke(revocationId: string, intent: string): Promise<string | undefined> {
    const [user, tag, ...rest] = revocationId.split('.');
    if (!user || !tag || rest.length > 0) return undefined;
    const username = Buffer.from(user, 'base64url').toString('utf8');
    const given = Buffer.from(tag, 'base64url');
    const now = this.#clock.now();
    const active = await this.#repository.active(username, intent, now);
    const match = active.some((c) => given.length === 16 && timingSafeEqual(revocationTag(c.codeHash), given));
    if (!match) return undefined;
    await this.#repository.revokeActive(username, intent, now);
    return username;
  }

  /**
   * Whether `code` is the active code of (`username`, `intent`); a right code is consumed.
   * Case, spaces and dashes in `code` are ignored. Expired, used or revoked codes are `false`.
   */
  async consume(username: string, intent: string, code: string): Promise<boolean> {
    const now = this.#clock.now();
    const given = hash(username, intent, code.replace(/[\s-]/g, '').toUpperCase());
    const active = await this.#repository.active(username, intent, now);
    const match = active.find((c) => c.codeHash.length === given.length && timingSafeEqual(c.codeHash, given));
    if (match) return this.#repository.consume(match.id, now);
    for (const c of active) await this.#repository.recordFailure(c.id, this.#maxAttempts, now);
    return false;
  }
}

/** 16 bytes naming a stored code without revealing its hash. */
function revocationTag(codeHash: Buffer): Buffer {
  return createHash('sha256').update('gatehouse:one-time-code-revocation:v1\0').update(codeHash).digest().subarray(0, 16);
}

function hash(username: string, intent: string, code: string): Buffer {
  return createHash('sha256').update(`gatehouse:one-time-code:v1\0${username}\0${intent}\0${code}`).digest();
}
