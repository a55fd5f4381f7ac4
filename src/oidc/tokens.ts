import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Random } from '../shared/random.js';

/** A new opaque secret: 32 random bytes (256 bits), base64url (43 characters). */
export function newOpaqueToken(random: Random): string {
  return random.bytes(32).toString('base64url');
}

/** A random UUID (version 4) from `random`. */
export function newUuid(random: Random): string {
  const b = random.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Hashes codes and tokens for storage: HMAC-SHA256 under `hmac_secret`, hex, with a purpose label. */
export class TokenHasher {
  readonly #key: Buffer;

  constructor(hmacSecret: string) {
    this.#key = Buffer.from(hmacSecret, 'utf8');
  }

  hash(purpose: 'code' | 'access' | 'refresh' | 'flow' | 'jti', value: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\0${value}`).digest('hex');
  }
}

/** Compares two strings in time independent of where they differ (both are hashed first). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
