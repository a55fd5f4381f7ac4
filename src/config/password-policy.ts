import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readInteger, readMapping } from './reader.js';

/**
 * `password_policy`: the rules a new password must meet (Authelia's keys and defaults). At most one
 * of the two mechanisms may be enabled; with neither, any password is accepted.
 */
export interface PasswordPolicyConfig {
  readonly standard: StandardPasswordPolicyConfig;
  readonly zxcvbn: ZxcvbnPasswordPolicyConfig;
}

/** `password_policy.standard`: length bounds and required kinds of character. */
export interface StandardPasswordPolicyConfig {
  readonly enabled: boolean;
  /** Fewest characters (Unicode code points). */
  readonly minLength: number;
  /** Most characters (Unicode code points); 0: no maximum. */
  readonly maxLength: number;
  readonly requireUppercase: boolean;
  readonly requireLowercase: boolean;
  readonly requireNumber: boolean;
  readonly requireSpecial: boolean;
}

/** `password_policy.zxcvbn`: a least strength estimated by zxcvbn, from 0 (guessable) to 4. */
export interface ZxcvbnPasswordPolicyConfig {
  readonly enabled: boolean;
  /** 1–4. Authelia takes 0 to mean the default, 3; Gatehouse refuses 0 instead. */
  readonly minScore: number;
}

/** Reads `password_policy`; enabling both `standard` and `zxcvbn` is an error. */
export function readPasswordPolicy(ctx: ReadContext, value: unknown): PasswordPolicyConfig {
  const path = 'password_policy';
  const raw = readMapping(ctx, path, value, ['standard', 'zxcvbn']) ?? {};
  const standard = readStandard(ctx, keyPath(path, 'standard'), raw.standard);
  const zxcvbn = readZxcvbn(ctx, keyPath(path, 'zxcvbn'), raw.zxcvbn);
  if (standard.enabled && zxcvbn.enabled) {
    ctx.problems.error(path, "must enable at most one of 'standard' and 'zxcvbn' but enables both");
  }
  return { standard, zxcvbn };
}

function readStandard(ctx: ReadContext, path: string, value: unknown): StandardPasswordPolicyConfig {
  const d = defaults.passwordPolicy.standard;
  const raw =
    readMapping(ctx, path, value, ['enabled', 'min_length', 'max_length', 'require_uppercase', 'require_lowercase', 'require_number', 'require_special']) ?? {};
  const minLength = readInteger(ctx, keyPath(path, 'min_length'), raw.min_length, d.minLength, { min: 1 });
  const maxLength = readInteger(ctx, keyPath(path, 'max_length'), raw.max_length, d.maxLength, { min: 0 });
  if (maxLength !== 0 && maxLength < minLength) {
    ctx.problems.error(keyPath(path, 'max_length'), `must be 0 (no maximum) or at least ${keyPath(path, 'min_length')} (${minLength}) but is ${maxLength}`);
  }
  return {
    enabled: readBoolean(ctx, keyPath(path, 'enabled'), raw.enabled, d.enabled),
    minLength,
    maxLength,
    requireUppercase: readBoolean(ctx, keyPath(path, 'require_uppercase'), raw.require_uppercase, d.requireUppercase),
    requireLowercase: readBoolean(ctx, keyPath(path, 'require_lowercase'), raw.require_lowercase, d.requireLowercase),
    requireNumber: readBoolean(ctx, keyPath(path, 'require_number'), raw.require_number, d.requireNumber),
    requireSpecial: readBoolean(ctx, keyPath(path, 'require_special'), raw.require_special, d.requireSpecial),
  };
}

function readZxcvbn(ctx: ReadContext, path: string, value: unknown): ZxcvbnPasswordPolicyConfig {
  const d = defaults.passwordPolicy.zxcvbn;
  const raw = readMapping(ctx, path, value, ['enabled', 'min_score']) ?? {};
  return {
    enabled: readBoolean(ctx, keyPath(path, 'enabled'), raw.enabled, d.enabled),
    minScore: readInteger(ctx, keyPath(path, 'min_score'), raw.min_score, d.minScore, { min: 1, max: 4 }),
  };
}
