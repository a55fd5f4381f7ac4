import { defaults } from './defaults.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readBoolean, readInteger, readList, readMapping, readString } from './reader.js';

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
  /** What a user may choose at enrolment (`allowed_*`); each holds the configured default, first. */
  readonly allowedAlgorithms: readonly TotpAlgorithm[];
  readonly allowedDigits: readonly (6 | 8)[];
  /** Seconds. */
  readonly allowedPeriods: readonly number[];
}

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
      'allowed_algorithms',
      'allowed_digits',
      'allowed_periods',
    ]) ?? {};
  const algorithm = readAlgorithm(ctx, keyPath(path, 'algorithm'), raw.algorithm) ?? d.algorithm;
  const digits = readDigits(ctx, keyPath(path, 'digits'), raw.digits) ?? d.digits;
  const period = readPeriod(ctx, keyPath(path, 'period'), raw.period) ?? d.period;
  return {
    disable: readBoolean(ctx, keyPath(path, 'disable'), raw.disable, false),
    issuer: readString(ctx, keyPath(path, 'issuer'), raw.issuer) ?? d.issuer,
    algorithm,
    digits,
    period,
    allowedAlgorithms: withDefault(
      algorithm,
      readList(ctx, keyPath(path, 'allowed_algorithms'), raw.allowed_algorithms, (v, p) => readAlgorithm(ctx, p, v)),
    ),
    allowedDigits: withDefault(
      digits,
      readList(ctx, keyPath(path, 'allowed_digits'), raw.allowed_digits, (v, p) => readDigits(ctx, p, v)),
    ),
    allowedPeriods: withDefault(
      period,
      readList(ctx, keyPath(path, 'allowed_periods'), raw.allowed_periods, (v, p) => readPeriod(ctx, p, v)),
    ),
    skew: readInteger(ctx, keyPath(path, 'skew'), raw.skew, d.skew, { min: 0, max: 10 }),
    secretSize: readInteger(ctx, keyPath(path, 'secret_size'), raw.secret_size, d.secretSize, { min: 20 }),
    disableReuseSecurityPolicy: readBoolean(ctx, keyPath(path, 'disable_reuse_security_policy'), raw.disable_reuse_security_policy, false),
  };
}

/** An algorithm name, any case (Authelia upper-cases it); `undefined` when absent or wrong (reported). */
function readAlgorithm(ctx: ReadContext, path: string, value: unknown): TotpAlgorithm | undefined {
  if (value === undefined || value === null) return undefined;
  const name = typeof value === 'string' ? value.toUpperCase() : value;
  if (typeof name === 'string' && (totpAlgorithms as readonly string[]).includes(name)) return name as TotpAlgorithm;
  return void ctx.problems.error(path, `must be one of 'SHA1', 'SHA256', 'SHA512' but is ${describe(value)}`);
}

/** 6 or 8 digits, as Authelia allows. */
function readDigits(ctx: ReadContext, path: string, value: unknown): 6 | 8 | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 6 || value === 8) return value;
  return void ctx.problems.error(path, `must be 6 or 8 but is ${typeof value === 'number' ? value : describe(value)}`);
}

/** A period of at least 15 seconds (Authelia's minimum). */
function readPeriod(ctx: ReadContext, path: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const period = readInteger(ctx, path, value, -1, { min: 15 });
  return period === -1 || period !== value ? undefined : period;
}

/** Authelia's rule: the configured value is always allowed; it comes first, duplicates are dropped. */
function withDefault<T>(configured: T, listed: readonly T[]): T[] {
  return [...new Set([configured, ...listed])];
}
