import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readInteger, readMapping, readString } from './reader.js';

export const totpAlgorithms = ['SHA1', 'SHA256', 'SHA512'] as const;
export type TotpAlgorithm = (typeof totpAlgorithms)[number];

/** `totp`: time-based one-time passwords (RFC 6238), with Authelia's keys and defaults. */
export interface TotpConfig {
  readonly disable: boolean;
  /** Shown by authenticator apps next to the account. */
  readonly issuer: string;
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6 | 8;
  /** Seconds per code. */
  readonly period: number;
  /** Codes this many periods before or after the current one are accepted too. */
  readonly skew: number;
  /** Bytes of secret generated at enrolment. */
  readonly secretSize: number;
  /** Authelia's switch to let a code be used twice; off (codes are single-use) by default. */
  readonly disableReuseSecurityPolicy: boolean;
}

const autheliaOnly = ['allowed_algorithms', 'allowed_digits', 'allowed_periods'];

/** Reads `totp`. */
export function readTotp(ctx: ReadContext, value: unknown): TotpConfig {
  const path = 'totp';
  const d = defaults.totp;
  const raw =
    readMapping(ctx, path, value, [
      'disable',
      'issuer',
      'algorithm',
      'digits',
      'period',
      'skew',
      'secret_size',
      'disable_reuse_security_policy',
      ...autheliaOnly,
    ]) ?? {};
  for (const key of autheliaOnly) {
    if (raw[key] !== undefined) ctx.problems.error(keyPath(path, key), 'is an Authelia option that Gatehouse does not support');
  }
  const algorithm = typeof raw.algorithm === 'string' ? raw.algorithm.toUpperCase() : raw.algorithm;
  const digits = readInteger(ctx, keyPath(path, 'digits'), raw.digits, d.digits);
  if (digits !== 6 && digits !== 8) ctx.problems.error(keyPath(path, 'digits'), `must be 6 or 8 but is ${digits}`);
  return {
    disable: readBoolean(ctx, keyPath(path, 'disable'), raw.disable, false),
    issuer: readString(ctx, keyPath(path, 'issuer'), raw.issuer) ?? d.issuer,
    algorithm: readChoice(ctx, keyPath(path, 'algorithm'), algorithm, totpAlgorithms, d.algorithm),
    digits: digits === 8 ? 8 : 6,
    period: readInteger(ctx, keyPath(path, 'period'), raw.period, d.period, { min: 15 }),
    skew: readInteger(ctx, keyPath(path, 'skew'), raw.skew, d.skew, { min: 0, max: 10 }),
    secretSize: readInteger(ctx, keyPath(path, 'secret_size'), raw.secret_size, d.secretSize, { min: 20 }),
    disableReuseSecurityPolicy: readBoolean(ctx, keyPath(path, 'disable_reuse_security_policy'), raw.disable_reuse_security_policy, false),
  };
}
