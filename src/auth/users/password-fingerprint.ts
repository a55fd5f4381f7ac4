import { createHash } from 'node:crypto';

/**
 * A short fingerprint of a password digest, kept in a session to notice a password change:
 * the first 16 hex characters (64 bits) of SHA-256 over the digest. It tells digests apart and
 * reveals nothing usable about the password: the digest itself is already a salted slow hash.
 */
export function passwordFingerprint(digest: string): string {
  return createHash('sha256').update(digest).digest('hex').slice(0, 16);
}
