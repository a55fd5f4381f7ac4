import type { User } from './user.js';
import type { UsersDiff } from './users-diff.js';

/**
 * The outcome of (re)reading the users file: how many users are in force and what changed
 * against the previous file. On failure the previous users stay in force.
 */
export type ReloadOutcome =
  | { readonly ok: true; readonly users: number; readonly changes: UsersDiff }
  | { readonly ok: false; readonly problems: readonly string[] };

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
