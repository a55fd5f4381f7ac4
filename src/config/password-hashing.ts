import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readChoice, readInteger, readMapping } from './reader.js';

export const passwordAlgorithms = ['argon2', 'scrypt', 'pbkdf2', 'sha2crypt', 'bcrypt'] as const;
export const pbkdf2Variants = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type Pbkdf2Variant = (typeof pbkdf2Variants)[number];

/**
 * How new password digests are made (`authentication_backend.file.password`), with Authelia's
 * keys and defaults. Verification accepts every supported format whatever is configured here;
 * the configured algorithm also shapes the dummy digest checked for unknown users.
 */
export interface PasswordHashingConfig {
  readonly algorithm: (typeof passwordAlgorithms)[number];
  /** `memory` in KiB. */
  readonly argon2: {
    readonly variant: 'argon2id' | 'argon2i' | 'argon2d';
    readonly iterations: number;
    readonly memory: number;
    readonly parallelism: number;
    readonly keyLength: number;
    readonly saltLength: number;
  };
  /** `iterations` is log2 of scrypt's N (`ln`). */
  readonly scrypt: {
    readonly variant: 'scrypt';
    readonly iterations: number;
    readonly blockSize: number;
    readonly parallelism: number;
    readonly keyLength: number;
    readonly saltLength: number;
  };
  readonly pbkdf2: { readonly variant: Pbkdf2Variant; readonly iterations: number; readonly saltLength: number };
  readonly sha2crypt: { readonly variant: 'sha256' | 'sha512'; readonly iterations: number; readonly saltLength: number };
  readonly bcrypt: { readonly variant: 'standard'; readonly cost: number };
}

/** Reads `authentication_backend.file.password` (Authelia's ranges). */
export function readPasswordHashing(ctx: ReadContext, path: string, value: unknown): PasswordHashingConfig {
  const d = defaults.authenticationBackend.password;
  const raw = readMapping(ctx, path, value, ['algorithm', ...passwordAlgorithms]) ?? {};
  const at = (section: string) => keyPath(path, section);
  const int = (section: string, r: Record<string, unknown>, key: string, fallback: number, min: number, max?: number) =>
    readInteger(ctx, keyPath(at(section), key), r[key], fallback, max === undefined ? { min } : { min, max });

  const a = readMapping(ctx, at('argon2'), raw.argon2, ['variant', 'iterations', 'memory', 'parallelism', 'key_length', 'salt_length']) ?? {};
  const parallelism = int('argon2', a, 'parallelism', d.argon2.parallelism, 1, 16_777_215);
  const argon2 = {
    variant: readChoice(ctx, keyPath(at('argon2'), 'variant'), a.variant, ['argon2id', 'argon2i', 'argon2d'] as const, d.argon2.variant),
    iterations: int('argon2', a, 'iterations', d.argon2.iterations, 1),
    memory: int('argon2', a, 'memory', d.argon2.memory, 8 * parallelism, 4_294_967_295),
    parallelism,
    keyLength: int('argon2', a, 'key_length', d.argon2.keyLength, 4),
    saltLength: int('argon2', a, 'salt_length', d.argon2.saltLength, 8),
  };

  const s = readMapping(ctx, at('scrypt'), raw.scrypt, ['variant', 'iterations', 'block_size', 'parallelism', 'key_length', 'salt_length']) ?? {};
  const scrypt = {
    variant: readChoice(ctx, keyPath(at('scrypt'), 'variant'), s.variant, ['scrypt'] as const, d.scrypt.variant),
    iterations: int('scrypt', s, 'iterations', d.scrypt.iterations, 1, 58),
    blockSize: int('scrypt', s, 'block_size', d.scrypt.blockSize, 1),
    parallelism: int('scrypt', s, 'parallelism', d.scrypt.parallelism, 1),
    keyLength: int('scrypt', s, 'key_length', d.scrypt.keyLength, 1),
    saltLength: int('scrypt', s, 'salt_length', d.scrypt.saltLength, 8, 1024),
  };

  const p = readMapping(ctx, at('pbkdf2'), raw.pbkdf2, ['variant', 'iterations', 'salt_length']) ?? {};
  const pbkdf2Variant = readChoice(ctx, keyPath(at('pbkdf2'), 'variant'), p.variant, pbkdf2Variants, d.pbkdf2.variant);
  const pbkdf2 = {
    variant: pbkdf2Variant,
    iterations: int('pbkdf2', p, 'iterations', d.pbkdf2.iterations[pbkdf2Variant], 100_000),
    saltLength: int('pbkdf2', p, 'salt_length', d.pbkdf2.saltLength, 8),
  };

  const c = readMapping(ctx, at('sha2crypt'), raw.sha2crypt, ['variant', 'iterations', 'salt_length']) ?? {};
  const sha2crypt = {
    variant: readChoice(ctx, keyPath(at('sha2crypt'), 'variant'), c.variant, ['sha256', 'sha512'] as const, d.sha2crypt.variant),
    iterations: int('sha2crypt', c, 'iterations', d.sha2crypt.iterations, 1000, 999_999_999),
    saltLength: int('sha2crypt', c, 'salt_length', d.sha2crypt.saltLength, 1, 16),
  };

  const b = readMapping(ctx, at('bcrypt'), raw.bcrypt, ['variant', 'cost']) ?? {};
  const bcrypt = {
    variant: readChoice(ctx, keyPath(at('bcrypt'), 'variant'), b.variant, ['standard'] as const, d.bcrypt.variant),
    cost: int('bcrypt', b, 'cost', d.bcrypt.cost, 10, 31),
  };

  return {
    algorithm: readChoice(ctx, at('algorithm'), raw.algorithm, passwordAlgorithms, d.algorithm),
    argon2,
    scrypt,
    pbkdf2,
    sha2crypt,
    bcrypt,
  };
}
