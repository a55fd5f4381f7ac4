import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readDuration, readInteger, readMapping, readSecret } from './reader.js';

export const resetJwtAlgorithms = ['HS256', 'HS384', 'HS512'] as const;
export type ResetJwtAlgorithm = (typeof resetJwtAlgorithms)[number];

/** `identity_validation.elevated_session`: the e-mailed one-time code that elevates a session before its user changes their second factors. */
export interface ElevatedSessionConfig {
  /** Milliseconds an e-mailed code stays valid (`code_lifespan`, default 5 minutes). */
  readonly codeLifespan: number;
  /** Milliseconds an elevation lasts once the code was entered (`elevation_lifespan`, default 10 minutes). */
  readonly elevationLifespan: number;
  /** Characters of a code (`characters`, default 8, at most 20). */
  readonly characters: number;
  /** A user who has a second factor must have used it in this session before an elevated action (default true here, false in Authelia). */
  readonly requireSecondFactor: boolean;
  /** A two-factor session needs no elevation (no e-mailed code). */
  readonly skipSecondFactor: boolean;
}

/** `identity_validation`: how users prove they read their e-mail. */
export interface IdentityValidationConfig {
  readonly resetPassword: {
    /** Milliseconds a "Forgot password?" link stays valid (Authelia's `jwt_lifespan`, default 5 minutes). */
    readonly jwtLifespan: number;
    /**
     * Authelia's `jwt_algorithm` (HS256, HS384, HS512), validated as Authelia does. Gatehouse's
     * reset links are random tokens stored hashed and consumed once (auth/password/reset-tokens.ts),
     * which need no signature: the value is accepted so an Authelia file loads unchanged.
     */
    readonly jwtAlgorithm: ResetJwtAlgorithm;
    /** Authelia's `jwt_secret` (a secret: `…_JWT_SECRET` / `…_JWT_SECRET_FILE` work); accepted, not needed (see `jwtAlgorithm`). */
    readonly jwtSecret: string | undefined;
  };
  readonly elevatedSession: ElevatedSessionConfig;
}

/** Authelia's longest elevation code (`validator/identity_validation.go`). */
export const maxElevationCharacters = 20;

/** Reads `identity_validation` (absent: every default). */
export function readIdentityValidation(ctx: ReadContext, value: unknown): IdentityValidationConfig {
  const path = 'identity_validation';
  const raw = readMapping(ctx, path, value, ['reset_password', 'elevated_session', 'credential_management']) ?? {};
  if (raw.credential_management !== undefined) {
    ctx.problems.error(keyPath(path, 'credential_management'), 'is an Authelia option that Gatehouse does not support');
  }
  return {
    resetPassword: readResetPassword(ctx, keyPath(path, 'reset_password'), raw.reset_password),
    elevatedSession: readElevatedSession(ctx, keyPath(path, 'elevated_session'), raw.elevated_session),
  };
}

function readResetPassword(ctx: ReadContext, path: string, value: unknown): IdentityValidationConfig['resetPassword'] {
  const d = defaults.identityValidation.resetPassword;
  const reset = readMapping(ctx, path, value, ['jwt_lifespan', 'expiration', 'jwt_algorithm', 'jwt_secret']) ?? {};
  const lifespanKey = aliasKey(ctx, path, reset, 'jwt_lifespan', 'expiration');
  const algorithm = typeof reset.jwt_algorithm === 'string' ? reset.jwt_algorithm.toUpperCase() : reset.jwt_algorithm;
  return {
    jwtLifespan: readDuration(ctx, keyPath(path, lifespanKey), reset[lifespanKey], d.jwtLifespan, { min: 60_000 }),
    jwtAlgorithm: readChoice(ctx, keyPath(path, 'jwt_algorithm'), algorithm, resetJwtAlgorithms, d.jwtAlgorithm),
    jwtSecret: readSecret(ctx, keyPath(path, 'jwt_secret'), reset.jwt_secret),
  };
}

function readElevatedSession(ctx: ReadContext, path: string, value: unknown): ElevatedSessionConfig {
  const d = defaults.identityValidation.elevatedSession;
  const keys = ['code_lifespan', 'expiration', 'elevation_lifespan', 'elevation_expiration', 'characters', 'require_second_factor', 'skip_second_factor'];
  const raw = readMapping(ctx, path, value, keys) ?? {};
  const codeKey = aliasKey(ctx, path, raw, 'code_lifespan', 'expiration');
  const elevationKey = aliasKey(ctx, path, raw, 'elevation_lifespan', 'elevation_expiration');
  return {
    codeLifespan: readDuration(ctx, keyPath(path, codeKey), raw[codeKey], d.codeLifespan, { min: 1000 }),
    elevationLifespan: readDuration(ctx, keyPath(path, elevationKey), raw[elevationKey], d.elevationLifespan, { min: 1000 }),
    characters: readInteger(ctx, keyPath(path, 'characters'), raw.characters, d.characters, { min: 1, max: maxElevationCharacters }),
    requireSecondFactor: readBoolean(ctx, keyPath(path, 'require_second_factor'), raw.require_second_factor, d.requireSecondFactor),
    skipSecondFactor: readBoolean(ctx, keyPath(path, 'skip_second_factor'), raw.skip_second_factor, false),
  };
}

/**
 * Authelia names some lifespans twice (`jwt_lifespan` and, in newer versions, `expiration`):
 * either is accepted, not both. Returns the key to read.
 */
function aliasKey(ctx: ReadContext, path: string, raw: Record<string, unknown>, name: string, alias: string): string {
  if (raw[name] !== undefined && raw[alias] !== undefined) {
    ctx.problems.error(keyPath(path, alias), `must not be set together with ${keyPath(path, name)} (they are the same option)`);
  }
  return raw[name] === undefined && raw[alias] !== undefined ? alias : name;
}
