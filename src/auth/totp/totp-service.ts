import { TOTP } from 'otpauth';
import type { TotpConfig } from '../../config/totp.js';
import type { Clock } from '../../shared/clock.js';
import type { Random } from '../../shared/random.js';
import type { TotpConfiguration, TotpRepository } from '../../storage/storage.js';
import { type TotpChoice, type TotpEnrollment, createEnrollment, parseBase32Secret, resolveChoice, totpOf } from './enrollment.js';

export interface TotpServiceOptions {
  readonly config: TotpConfig;
  readonly repository: TotpRepository;
  readonly clock: Clock;
  readonly random: Random;
}

/** What may be shown about a user's key: never the secret. */
export type TotpInfo = Omit<TotpConfiguration, 'secret'>;

/** Used steps are kept at least this long (ms), longer when a key's window is wider. */
const historyRetention = 86_400_000;

/**
 * TOTP second factor (RFC 6238): enrolment, verification with `totp.skew` windows, and
 * single-use codes (each accepted time step is recorded; the same step again is refused).
 */
export class TotpService {
  readonly #config: TotpConfig;
  readonly #repository: TotpRepository;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(options: TotpServiceOptions) {
    this.#config = options.config;
    this.#repository = options.repository;
    this.#clock = options.clock;
    this.#random = options.random;
  }

  /** A new key for `username` with the configured settings; nothing is saved. */
  createEnrollment(username: string): TotpEnrollment {
    return createEnrollment(username, this.#config, this.#random);
  }

  /**
   * A new key for `username` with the settings the user chose among `totp.allowed_*` (an absent
   * field: the configured one); nothing is saved. `undefined` when a chosen value is not allowed.
   */
  createChosenEnrollment(username: string, choice: TotpChoice): TotpEnrollment | undefined {
    const chosen = resolveChoice(this.#config, choice);
    return chosen && createEnrollment(username, this.#config, this.#random, undefined, chosen);
  }

  /** The values a user may choose at enrolment (`totp.allowed_*`), the configured default first in each. */
  get options(): Pick<TotpConfig, 'allowedAlgorithms' | 'allowedDigits' | 'allowedPeriods'> {
    const { allowedAlgorithms, allowedDigits, allowedPeriods } = this.#config;
    return { allowedAlgorithms, allowedDigits, allowedPeriods };
  }

  /**
   * Saves the enrolment once `code` proves the user's app has the key; the code's step is
   * recorded, so it cannot be replayed to log in. Replaces any earlier key of the user.
   * @returns whether the code was right (nothing is saved otherwise).
   */
  async confirm(enrollment: TotpEnrollment, code: string): Promise<boolean> {
    const now = this.#clock.now();
    const step = this.#matchingStep(enrollment, code, now);
    if (step === undefined) return false;
    await this.save(enrollment);
    await this.#repository.recordStep(enrollment.username, step, now);
    return true;
  }

  /** Saves an enrolment without a code (administrators: `gatehouse totp enroll`). */
  async save(enrollment: TotpEnrollment): Promise<void> {
    const secret = parseBase32Secret(enrollment.secret);
    if (!secret) throw new TypeError('the enrolment secret is not base32');
    await this.#repository.save({
      username: enrollment.username,
      issuer: enrollment.issuer,
      algorithm: enrollment.algorithm,
      digits: enrollment.digits,
      period: enrollment.period,
      secret,
      createdAt: this.#clock.now(),
      lastUsedAt: undefined,
    });
  }

  /**
   * Whether `code` is the user's current code (± `totp.skew` periods) and not used before.
   * A user without a key, a malformed code, a wrong code and a replayed code are all `false`.
   * @throws GatehouseError `GH_STORAGE_DECRYPT` when the stored secret was altered.
   */
  async verify(username: string, code: string): Promise<boolean> {
    const key = await this.#repository.get(username);
    if (!key) return false;
    const now = this.#clock.now();
    const step = this.#matchingStep(key, code, now);
    if (step === undefined) return false;
    if (!this.#config.disableReuseSecurityPolicy) {
      if (!(await this.#repository.recordStep(username, step, now))) return false;
      const window = (2 * this.#config.skew + 2) * key.period * 1000;
      await this.#repository.purgeHistory(now - Math.max(historyRetention, window));
    }
    await this.#repository.markUsed(username, now);
    return true;
  }

  /** The user's key settings, or `undefined` when not enrolled. */
  async info(username: string): Promise<TotpInfo | undefined> {
    const key = await this.#repository.get(username);
    if (!key) return undefined;
    const { secret: _secret, ...info } = key;
    return info;
  }

  /** Removes the user's key; whether there was one. */
  delete(username: string): Promise<boolean> {
    return this.#repository.delete(username);
  }

  /** The time step `code` belongs to within the skew window, or `undefined`. */
  #matchingStep(key: Omit<TotpEnrollment, 'uri' | 'secret'> & { secret: string | Buffer }, code: string, now: number): number | undefined {
    const token = code.replace(/\s/g, '');
    if (!/^\d+$/.test(token) || token.length !== key.digits) return undefined;
    const delta = totpOf(key).validate({ token, timestamp: now, window: this.#config.skew });
    if (delta === null) return undefined;
    return TOTP.counter({ period: key.period, timestamp: now }) + delta;
  }
}
