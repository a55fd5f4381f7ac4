import { Secret, TOTP } from 'otpauth';
import type { TotpAlgorithm, TotpConfig } from '../../config/totp.js';
import type { Random } from '../../shared/random.js';

/**
 * A TOTP key offered to a user, not yet saved: what the enrolment page shows (secret, URI, QR)
 * and what the portal keeps in the session until the user confirms it with a code.
 * Plain data, so it serialises as JSON.
 */
export interface TotpEnrollment {
  readonly username: string;
  readonly issuer: string;
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  /** Seconds. */
  readonly period: number;
  /** Base32 (RFC 4648, no padding), as authenticator apps take it. */
  readonly secret: string;
  /** `otpauth://totp/…` provisioning URI (the QR code's content). */
  readonly uri: string;
}

/**
 * A TOTP enrolment in progress, kept in the session between its steps (`flows.totpEnrolment`):
 * when the user passed the identity check, and the offered {@link TotpEnrollment} as JSON,
 * sealed under the storage key. Plain data, stored as JSON.
 */
export interface EnrollmentFlow {
  readonly verifiedAt: number;
  readonly sealed: string;
}

/** Minimum size of an imported secret: RFC 4226 §4 R6 requires 128 bits. */
export const minimumSecretBytes = 16;

/** What a user may choose at enrolment (Authelia's `algorithm`, `length`, `period`); an absent field takes the configured default. */
export interface TotpChoice {
  readonly algorithm?: string | undefined;
  readonly digits?: number | undefined;
  readonly period?: number | undefined;
}

/** The key settings of `choice` when each is in `totp.allowed_*`; `undefined` when one is not. */
export function resolveChoice(config: TotpConfig, choice: TotpChoice = {}): Pick<TotpEnrollment, 'algorithm' | 'digits' | 'period'> | undefined {
  const algorithm = config.allowedAlgorithms.find((a) => a === (choice.algorithm?.toUpperCase() ?? config.algorithm));
  const digits = config.allowedDigits.find((d) => d === (choice.digits ?? config.digits));
  const period = config.allowedPeriods.find((p) => p === (choice.period ?? config.period));
  return algorithm && digits && period ? { algorithm, digits, period } : undefined;
}

/**
 * A new enrolment for `username`: a fresh random secret of `totp.secret_size` bytes, or
 * `secret` (raw bytes) when an administrator imports one; with the configured settings, or
 * the resolved {@link resolveChoice} of the user.
 */
export function createEnrollment(
  username: string,
  config: TotpConfig,
  random: Random,
  secret?: Buffer,
  chosen: Pick<TotpEnrollment, 'algorithm' | 'digits' | 'period'> = config,
): TotpEnrollment {
  const bytes = secret ?? random.bytes(config.secretSize);
  const base32 = secretOf(bytes).base32;
  const settings = { issuer: config.issuer, algorithm: chosen.algorithm, digits: chosen.digits, period: chosen.period };
  return { username, ...settings, secret: base32, uri: provisioningUri({ username, ...settings, secret: base32 }) };
}

/** The `otpauth://` URI of a key (Google Authenticator's key-uri format). */
export function provisioningUri(key: Omit<TotpEnrollment, 'uri'>): string {
  return totpOf(key).toString();
}

/**
 * Decodes a base32 secret as typed by people (spaces, dashes and lower case allowed).
 * @returns the bytes, or `undefined` when the text is not base32.
 */
export function parseBase32Secret(text: string): Buffer | undefined {
  const clean = text.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (clean === '' || !/^[A-Z2-7]+$/.test(clean)) return undefined;
  return Buffer.from(Secret.fromBase32(clean).bytes);
}

/** The otpauth TOTP object for a key. */
export function totpOf(key: Omit<TotpEnrollment, 'uri' | 'secret'> & { readonly secret: string | Buffer }): TOTP {
  return new TOTP({
    issuer: key.issuer,
    label: key.username,
    algorithm: key.algorithm,
    digits: key.digits,
    period: key.period,
    secret: typeof key.secret === 'string' ? Secret.fromBase32(key.secret) : secretOf(key.secret),
  });
}

function secretOf(bytes: Buffer): Secret {
  return new Secret({ buffer: Uint8Array.from(bytes).buffer });
}
