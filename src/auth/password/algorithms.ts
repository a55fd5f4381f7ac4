/**
 * Password digest algorithms Gatehouse can produce, with Authelia's default parameters
 * (`authentication_backend.file.password.*`), so digests move between the two unchanged.
 */
export const hashAlgorithms = ['argon2id', 'argon2i', 'scrypt', 'pbkdf2-sha512', 'pbkdf2-sha256', 'bcrypt'] as const;
export type HashAlgorithm = (typeof hashAlgorithms)[number];

export const argon2Defaults = { iterations: 3, memoryKiB: 65_536, parallelism: 4, keyLength: 32, saltLength: 16 };
/** `ln` is log2 of scrypt's N (Authelia calls it `iterations`). */
export const scryptDefaults = { ln: 16, blockSize: 8, parallelism: 1, keyLength: 32, saltLength: 16 };
export const pbkdf2Defaults = {
  sha512: { iterations: 310_000, keyLength: 64 },
  sha256: { iterations: 700_000, keyLength: 32 },
  saltLength: 16,
};
export const bcryptDefaults = { cost: 12 };
