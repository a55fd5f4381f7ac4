import { pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { fromAb64 } from './encoding.js';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Thrown for a digest whose format is not one Gatehouse can verify. */
export class UnsupportedDigestError extends Error {
  override readonly name = 'UnsupportedDigestError';
}

const pbkdf2Pattern = /^\$pbkdf2(?:-(sha1|sha224|sha256|sha384|sha512))?\$(\d+)\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$/;
const scryptPattern = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Whether `password` matches `digest`, in constant time for the digest's length.
 * @throws UnsupportedDigestError for a format that cannot be verified.
 */
export async function verifyPassword(digest: string, password: string): Promise<boolean> {
  if (/^\$argon2(id|i|d)\$/.test(digest)) return argon2Verify(digest, password);
  if (/^\$2[aby]\$\d\d\$/.test(digest)) return bcrypt.compare(password, digest);
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
