import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { Random } from '../../shared/random.js';
import type { OneTimeCodeRepository } from '../../storage/storage.js';

export interface ResetTokensOptions {
  /** The one-time code table: a reset token is a code with intent {@link resetIntent}. */
  readonly repository: OneTimeCodeRepository;
  readonly clock: Clock;
  readonly random: Random;
  /** Milliseconds a token stays valid (`identity_validation.reset_password.jwt_lifespan`). */
  readonly lifespan: number;
}

/** The intent reset tokens are stored under in `one_time_code`. */
export const resetIntent = 'password-reset';
/** Random bytes per token: guessing one is out of reach, so wrong tokens are not counted. */
const secretBytes = 32;

/**
 * Single-use tokens for "Forgot password?" links: `<username, base64url>.<32 random bytes, base64url>`.
 * Only a SHA-256 of the token, bound to the user and the intent, is stored (as one-time codes are);
 * a token expires after `lifespan`, is revoked by a newer one for the same user, and is consumed
 * atomically (two racing uses: one wins).
 */
export class ResetTokens {
  readonly #options: ResetTokensOptions;

  constructor(options: ResetTokensOptions) {
    this.#options = options;
  }

  /** Milliseconds a token stays valid. */
  get lifespan(): number {
    return this.#options.lifespan;
  }

  /**
   * A token and its hash, without storing anything: the anti-enumeration path does this work for
   * unknown users too, then {@link store}s it only for real ones.
   */
  mint(username: string): { token: string; hash: Buffer } {
    const secret = this.#options.random.bytes(secretBytes).toString('base64url');
    return { token: `${Buffer.from(username, 'utf8').toString('base64url')}.${secret}`, hash: tokenHash(username, secret) };
  }

  /** Stores a minted token for `username`; earlier tokens of the user are revoked. */
  async store(username: string, hash: Buffer): Promise<void> {
    const now = this.#options.clock.now();
    await this.#options.repository.revokeActive(username, resetIntent, now);
    await this.#options.repository.insert({ username, intent: resetIntent, codeHash: hash, issuedAt: now, expiresAt: now + this.#options.lifespan });
  }

  /** The user an active `token` belongs to, without consuming it (the form page); undefined when expired, used, revoked or malformed. */
  async peek(token: string): Promise<string | undefined> {
    return (await this.#find(token))?.username;
  }

  /** Consumes an active `token` and returns its user; undefined when expired, used, revoked, malformed or consumed concurrently. */
  async consume(token: string): Promise<string | undefined> {
    const found = await this.#find(token);
    if (!found) return undefined;
    return (await this.#options.repository.consume(found.id, this.#options.clock.now())) ? found.username : undefined;
  }

  async #find(token: string): Promise<{ id: number; username: string } | undefined> {
    const parsed = parse(token);
    if (!parsed) return undefined;
    const given = tokenHash(parsed.username, parsed.secret);
    const active = await this.#options.repository.active(parsed.username, resetIntent, this.#options.clock.now());
    const match = active.find((c) => c.codeHash.length === given.length && timingSafeEqual(c.codeHash, given));
    return match && { id: match.id, username: parsed.username };
  }
}

function parse(token: string): { username: string; secret: string } | undefined {
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  if (!match) return undefined;
  const username = Buffer.from(match[1]!, 'base64url').toString('utf8');
  return username === '' ? undefined : { username, secret: match[2]! };
}

function tokenHash(username: string, secret: string): Buffer {
  return createHash('sha256').update(`gatehouse:password-reset:v1\0${username}\0${secret}`).digest();
}
