import { timingSafeEqual } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import { runCryptTask } from './crypt-pool.js';
import { pbkdf2Async, scryptAsync } from './kdf.js';
import { fromAb64 } from './encoding.js';
import { GatehouseError } from '../../shared/errors.js';
import { digestPatterns } from '../../shared/password-digest.js';

/** Thrown for a digest whose format is not one Gatehouse can verify. */
export class UnsupportedDigestError extends GatehouseError {
  constructor(message: string) {
    super('GH_DIGEST_UNSUPPORTED', message);
  }
}

/**
 * Whether `password` matches `digest`, in constant time for the digest's length. Never blocks
 * the event loop: argon2 runs on native threads, pbkdf2 and scrypt on libuv's pool, and
 * sha2crypt (`$6$`, `$5$`) and bcrypt in a worker thread.
 * @throws UnsupportedDigestError for a format that cannot be verified.
 */
export async function verifyPassword(digest: string, password: string): Promise<boolean> {
  if (digestPatterns.argon2.test(digest)) return argon2Verify(digest, password);
  if (digestPatterns.bcrypt.test(digest)) return runCryptTask({ op: 'bcrypt-verify', password, digest });
  if (digestPatterns.sha2crypt.test(digest)) return runCryptTask({ op: 'sha2crypt-verify', password, digest });
  const pb = digestPatterns.pbkdf2.exec(digest);
  if (pb) {
    const [, hashName = 'sha1', iterations, salt, key] = pb;
    const expected = fromAb64(key!);
    const actual = await pbkdf2Async(password, fromAb64(salt!), Number(iterations), expected.length, hashName);
    return timingSafeEqual(actual, expected);
  }
  const sc = digestPatterns.scrypt.exec(digest);
  if (sc) {
    const [, ln, r, p, salt, key] = sc;
    const expected = Buffer.from(key!, 'base64');
    const N = 2 ** Number(ln);
    const actual = await scryptAsync(password, Buffer.from(salt!, 'base64'), expected.length, {
      N,
      r: Number(r),
      p: Number(p),
      maxmem: 256 * N * Number(r),
    });
    return timingSafeEqual(actual, expected);
  }
  throw new UnsupportedDigestError(`unsupported password digest format '${digest.slice(0, 12)}…'`);
}
