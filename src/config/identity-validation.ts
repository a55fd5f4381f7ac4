import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readDuration, readMapping } from './reader.js';

/** `identity_validation`: how users prove they read their e-mail. */
export interface IdentityValidationConfig {
  readonly resetPassword: {
    /** Milliseconds a "Forgot password?" link stays valid (Authelia's `jwt_lifespan`, default 5 minutes). */
    readonly jwtLifespan: number;
  };
}

/**
 * Authelia signs reset links as JWTs with these; Gatehouse's links are random tokens stored
 * hashed (auth/password/reset-tokens.ts), so there is nothing to sign: a warning when set.
 */
const ignoredResetKeys = ['jwt_secret', 'jwt_algorithm'];

/** Reads `identity_validation` (absent: every default). */
export function readIdentityValidation(ctx: ReadContext, value: unknown): IdentityValidationConfig {
  const path = 'identity_validation';
  const d = defaults.identityValidation;
  const raw = readMapping(ctx, path, value, ['reset_password', 'credential_management']) ?? {};
  if (raw.credential_management !== undefined) {
    ctx.problems.error(keyPath(path, 'credential_management'), 'is an Authelia option that Gatehouse does not support');
  }
  const resetPath = keyPath(path, 'reset_password');
  const reset = readMapping(ctx, resetPath, raw.reset_password, ['jwt_lifespan', 'expiration', ...ignoredResetKeys]) ?? {};
  for (const key of ignoredResetKeys) {
    if (reset[key] !== undefined)
      ctx.problems.warn(keyPath(resetPath, key), 'is not needed by Gatehouse (reset links are random tokens stored hashed, not JWTs) and is ignored');
  }
  // Newer Authelia versions call the key `expiration`; either name is accepted, not both.
  if (reset.jwt_lifespan !== undefined && reset.expiration !== undefined) {
    ctx.problems.error(
      keyPath(resetPath, 'expiration'),
      'must not be set together with identity_validation.reset_password.jwt_lifespan (they are the same option)',
    );
  }
  const lifespanKey = reset.jwt_lifespan === undefined && reset.expiration !== undefined ? 'expiration' : 'jwt_lifespan';
  return {
    resetPassword: {
      jwtLifespan: readDuration(ctx, keyPath(resetPath, lifespanKey), reset[lifespanKey], d.resetPassword.jwtLifespan, { min: 60_000 }),
    },
  };
}
