import { hash } from 'node:crypto';
import type { Random } from '../shared/random.js';

/** Bytes of CSPRNG output in a session ID: 256 bits, well above the 128 required. */
export const sessionIdBytes = 32;
const idPattern = /^[A-Za-z0-9_-]{43}$/;

/** A new session ID: 32 random bytes, base64url (43 characters). */
export function newSessionId(random: Random): string {
  return random.bytes(sessionIdBytes).toString('base64url');
}

/** Whether a cookie value has the shape of a session ID (checked before any lookup). */
export function isSessionIdShape(value: string): boolean {
  return idPattern.test(value);
}

/** What is stored instead of the ID: its SHA-256, base64url (one-shot `crypto.hash`: half the cost of a Hash object). */
export function hashSessionId(id: string): string {
  return hash('sha256', id, 'base64url');
}
