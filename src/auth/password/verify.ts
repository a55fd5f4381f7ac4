import { timingSafeEqual } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import { runCryptTask } from './crypt-pool.js';
import { pbkdf2Async, scryptAsync } from './kdf.js';
import { fromAb64 } from './encoding.js';

/** Thrown for a digest whose format is not one Gatehouse can verify. */
export class UnsupportedDigestError extends Error {
  override readonly name = 'UnsupportedDigestError';
}

const argon2Pattern = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const bcryptPattern = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const sha2cryptPattern = /^\$[56]\$(?:rounds=\d{1,9}\$)?[^$:\n]{0,16}\$(?:[./0-9A-Za-z]{43}|[./0-9A-Za-z]{86})$/;
const pbkdf2Pattern = /^\$pbkdf2(?:-(sha1|sha224|sha256|sha384|sha512))?\$(\d+)\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$/;
const scryptPattern = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Digest formats {@link verifyPassword} accepts, as shown in messages. */
export const supportedDigestFormats = [
  '$argon2id$',
  '$argon2i$',
  '$argon2d$',
  '$scrypt$',
  '$pbkdf2$',
  '$pbkdf2-sha256$',
  '$pbkdf2-sha512$',
  '$6$',
  '$5$',
  '$2b$',
] as const;

/** Whether `digest` is in a format {@link verifyPassword} can check (its syntax only). */
export function isSupportedDigest(digest: string): boolean {
  return [argon2Pattern, bcryptPattern, sha2cryptPattern, pbkdf2Pattern, scryptPattern].some((p) => p.test(digest));
}

/**
 * Whether `password` matches `digest`, in constant time for the digest's length. Never blocks
 * the event loop: argon2 runs on native threads, pbkdf2 and scrypt on libuv's pool, and
 * sha2crypt (`$6$`, `$5$`) and bcrypt in a worker thread.
 * @throws UnsupportedDigestError for a format that cannot be verified.
 */
export async function verifyPassword(digest: string, password: string): Promise<boolean> {
  if (argon2Pattern.test(digest)) return argon2Verify(digest, password);
  if (bcryptPattern.test(digest)) return runCryptTask({ op: 'bcrypt-verify', password, digest });
  if (sha2cryptPattern.test(digest)) return runCryptTask({ op: 'sha2crypt-verify', password, digest });
  const pb = pbkdf2Pattern.exec(digest);
  if (pb) {
    const [, hashName = 'sha1', iterations, salt, key] = pb;
    const expected = fromAb64(key!);
    const actual = await pbkdf2Async(password, fromAb64(salt!), Number(iterations), expected.length, hashName);
    return timingSafeEqual(actual, expected);
  }
  const sc = scryptPattern.exec(digest);
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
