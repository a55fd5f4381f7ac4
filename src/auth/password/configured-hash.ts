import { hash as argon2Hash } from '@node-rs/argon2';
import type { PasswordHashingConfig } from '../../config/password-hashing.js';
import { type Random, systemRandom } from '../../shared/random.js';
import { runCryptTask } from './crypt-pool.js';
import { pbkdf2Async, scryptAsync } from './kdf.js';
import { toAb64, toB64 } from './encoding.js';

const argon2Variants = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;
const pbkdf2KeyLengths = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 } as const;
const cryptAlphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Hashes `password` with the algorithm and parameters of `authentication_backend.file.password`
 * (Authelia's digest formats). Never blocks the event loop.
 */
export async function hashWithConfig(password: string, config: PasswordHashingConfig, random: Random = systemRandom): Promise<string> {
  switch (config.algorithm) {
    case 'argon2': {
      const a = config.argon2;
      return argon2Hash(password, {
        algorithm: argon2Variants[a.variant],
        timeCost: a.iterations,
        memoryCost: a.memory,
        parallelism: a.parallelism,
        outputLen: a.keyLength,
        salt: random.bytes(a.saltLength),
      });
    }
    case 'scrypt': {
      const { iterations: ln, blockSize: r, parallelism: p, keyLength, saltLength } = config.scrypt;
      const salt = random.bytes(saltLength);
      const N = 2 ** ln;
      const key = await scryptAsync(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
      return `$scrypt$ln=${ln},r=${r},p=${p}$${toB64(salt)}$${toB64(key)}`;
    }
    case 'pbkdf2': {
      const { variant, iterations, saltLength } = config.pbkdf2;
      const salt = random.bytes(saltLength);
      const key = await pbkdf2Async(password, salt, iterations, pbkdf2KeyLengths[variant], variant);
      const prefix = variant === 'sha1' ? '$pbkdf2$' : `$pbkdf2-${variant}$`;
      return `${prefix}${iterations}$${toAb64(salt)}$${toAb64(key)}`;
    }
    case 'sha2crypt': {
      const { variant, iterations, saltLength } = config.sha2crypt;
      const salt = [...random.bytes(saltLength)].map((b) => cryptAlphabet[b % 64]).join('');
      const id = variant === 'sha512' ? 6 : 5;
      return runCryptTask({ op: 'sha2crypt-hash', password, salt: `$${id}$rounds=${iterations}$${salt}` });
    }
    case 'bcrypt':
      return runCryptTask({ op: 'bcrypt-hash', password, cost: config.bcrypt.cost });
  }
}
