import { createHash } from 'node:crypto';
import { constantTimeEqual } from './tokens.js';

/** RFC 7636 §4.1/§4.2: 43–128 characters of `[A-Za-z0-9-._~]`. */
export const pkceValuePattern = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Whether `verifier` answers `challenge` under `method` (RFC 7636 §4.6), in constant time. */
export function pkceMatches(verifier: string, challenge: string, method: 'S256' | 'plain'): boolean {
  const computed = method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  return constantTimeEqual(computed, challenge);
}
