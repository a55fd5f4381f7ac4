import { pbkdf2, scrypt } from 'node:crypto';
import { promisify } from 'node:util';

/** node:crypto's PBKDF2 on libuv's thread pool, as a promise. */
export const pbkdf2Async = promisify(pbkdf2);

/** node:crypto's scrypt on libuv's thread pool, as a promise (`maxmem` must cover 128·N·r). */
export const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
