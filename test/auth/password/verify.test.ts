import { describe, expect, it } from 'vitest';
import { hashWithConfig } from '../../../src/auth/password/configured-hash.js';
import { hashPassword } from '../../../src/auth/password/hash.js';
import { UnsupportedDigestError, verifyPassword } from '../../../src/auth/password/verify.js';
import { isSupportedDigest } from '../../../src/shared/password-digest.js';
import { configOf, minimalRaw } from '../../helpers/config.js';
import { bcryptVector, vectors } from '../../fixtures/users/vectors.js';

describe('verifyPassword', () => {
  const fast = Object.entries(vectors).filter(([name]) => name !== 'sha512cryptSlow');

  it.each(fast)('verifies the %s vector', async (_name, digest) => {
    expect(isSupportedDigest(digest)).toBe(true);
    expect(await verifyPassword(digest, 'password')).toBe(true);
    expect(await verifyPassword(digest, 'Password')).toBe(false);
    expect(await verifyPassword(digest, '')).toBe(false);
  });

  it('verifies bcrypt $2a$, $2b$ and $2y$ (crypt_blowfish test vector)', async () => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const digest = bcryptVector.digest.replace('$2b$', prefix);
      expect(await verifyPassword(digest, bcryptVector.password)).toBe(true);
      expect(await verifyPassword(digest, 'U*V')).toBe(false);
    }
  });

  it('refuses a sha2crypt digest whose hash part was altered', async () => {
    const altered = vectors.sha512crypt.slice(0, -1) + (vectors.sha512crypt.endsWith('/') ? '.' : '/');
    expect(await verifyPassword(altered, 'password')).toBe(false);
  });

  it('throws for formats it cannot verify, and says so for the users file check', async () => {
    for (const digest of ['password', '$y$j9T$abc$def', '$1$salt$hash', '$bcrypt-sha256$v=2,t=2b,r=12$n79VH$1']) {
      expect(isSupportedDigest(digest)).toBe(false);
      await expect(verifyPassword(digest, 'password')).rejects.toBeInstanceOf(UnsupportedDigestError);
    }
  });

  it('keeps the event loop ticking while a slow sha512crypt digest (500 000 rounds) is verified', async () => {
    let ticks = 0;
    let done = false;
    const tick = (): void => {
      ticks++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await verifyPassword(vectors.sha512cryptSlow, 'password');
    done = true;
    expect(result).toBe(true);
    // Run on the main thread, the verification would resolve before the first tick.
    expect(ticks).toBeGreaterThan(50);
  });
});

describe('hashing', () => {
  const passwordConfig = (password: Record<string, unknown>) =>
    configOf(minimalRaw('/tmp/gh', { authentication_backend: { file: { path: '/dev/null', password } } })).authenticationBackend!.file!.password;

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['argon2id', { algorithm: 'argon2', argon2: { memory: 1024, iterations: 1, parallelism: 1 } }, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/],
    ['argon2i', { algorithm: 'argon2', argon2: { variant: 'argon2i', memory: 1024, iterations: 1, parallelism: 1 } }, /^\$argon2i\$/],
    ['scrypt', { algorithm: 'scrypt', scrypt: { iterations: 10 } }, /^\$scrypt\$ln=10,r=8,p=1\$/],
    ['pbkdf2 sha1', { algorithm: 'pbkdf2', pbkdf2: { variant: 'sha1', iterations: 100000 } }, /^\$pbkdf2\$100000\$/],
    ['pbkdf2 sha384', { algorithm: 'pbkdf2', pbkdf2: { variant: 'sha384', iterations: 100000 } }, /^\$pbkdf2-sha384\$100000\$/],
    ['sha512crypt', { algorithm: 'sha2crypt', sha2crypt: { iterations: 1000 } }, /^\$6\$rounds=1000\$[./0-9A-Za-z]{16}\$/],
    ['sha256crypt', { algorithm: 'sha2crypt', sha2crypt: { variant: 'sha256', iterations: 1000, salt_length: 8 } }, /^\$5\$rounds=1000\$[./0-9A-Za-z]{8}\$/],
    ['bcrypt', { algorithm: 'bcrypt', bcrypt: { cost: 10 } }, /^\$2b\$10\$/],
  ])('hashes with the configured %s parameters and verifies the result', async (_name, password, pattern) => {
    const digest = await hashWithConfig('s3cret', passwordConfig(password));
    expect(digest).toMatch(pattern);
    expect(await verifyPassword(digest, 's3cret')).toBe(true);
    expect(await verifyPassword(digest, 's3cret!')).toBe(false);
  });

  it('hashes bcrypt for gatehouse hash-password in the worker pool', async () => {
    const digest = await hashPassword('s3cret', 'bcrypt');
    expect(digest).toMatch(/^\$2b\$12\$/);
    expect(await verifyPassword(digest, 's3cret')).toBe(true);
  });
});
