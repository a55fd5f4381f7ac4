import type { ReloadOutcome } from './file-backend.js';
import type { User } from './user.js';

/** A user as a session check needs one: with their state and a fingerprint of their digest, never the digest. */
export interface Account extends User {
  readonly disabled: boolean;
  /** See password-fingerprint.ts. */
  readonly passwordFingerprint: string;
}

/** What re-checking sessions needs of a user backend. */
export interface UserDirectory {
  /** The user named exactly `username` (canonical case, no email or case-insensitive match), disabled or not. */
  account(username: string): Account | undefined;
  /** Calls `listener` after every reload of the users; returns an unsubscribe function. */
  onReload(listener: (outcome: ReloadOutcome) => void): () => void;
}
