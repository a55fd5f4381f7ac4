import { randomBytes } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { type HashAlgorithm, argon2Defaults, bcryptDefaults, pbkdf2Defaults, scryptDefaults } from './algorithms.js';
import { runCryptTask } from './crypt-pool.js';
import { pbkdf2Async, scryptAsync } from './kdf.js';
import { toAb64, toB64 } from './encoding.js';

/**
 * Hashes `password` into a self-describing digest (`$argon2id$v=19$m=65536,t=3,p=4$…`).
 * Every algorithm runs off the event loop: native threads, libuv's pool, or (bcrypt) a worker thread.
 */
export async function hashPassword(password: string, algorithm: HashAlgorithm = 'argon2id'): Promise<string> {
  switch (algorithm) {
    case 'argon2id':
    case 'argon2i':
      return argon2Hash(password, {
        algorithm: algorithm === 'argon2id' ? 2 /* Algorithm.Argon2id */ : 1 /* Algorithm.Argon2i */,
        timeCost: argon2Defaults.iterations,
        memoryCost: argon2Defaults.memoryKiB,
        parallelism: argon2Defaults.parallelism,
        outputLen: argon2Defaults.keyLength,
        salt: randomBytes(argon2Defaults.saltLength),
      });
    case 'scrypt': {
      const { ln, blockSize: r, parallelism: p, keyLength, saltLength } = scryptDefaults;
      const salt = randomBytes(saltLength);
      const N = 2 ** ln;
      const key = await scryptAsync(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r });
      return `$scrypt$ln=${ln},r=${r},p=${p}$${toB64(salt)}$${toB64(key)}`;
    }
    case 'pbkdf2-sha512':
    case 'pbkdf2-sha256': {
      const digest = algorithm === 'pbkdf2-sha512' ? 'sha512' : 'sha256';
      const { iterations, keyLength } = pbkdf2Defaults[digest];
      const salt = randomBytes(pbkdf2Defaults.saltLength);
      const key = await pbkdf2Async(password, salt, iterations, keyLength, digest);
      return `$pbkdf2-${digest}$${iterations}$${toAb64(salt)}$${toAb64(key)}`;
    }
    case 'bcrypt':
      return runCryptTask({ op: 'bcrypt-hash', password, cost: bcryptDefaults.cost });
  }
}
