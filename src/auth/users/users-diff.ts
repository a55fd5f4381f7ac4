import type { StoredUser } from './users-file.js';

/**
 * What a reload of the users file changed, by canonical username. Each user is in at most one
 * list, the first that applies in this order: `removed`, `disabled` (enabled before, disabled
 * now), `passwordChanged` (another digest), `detailsChanged` (display name, emails or groups).
 * Users added or re-enabled are in none: they had no session to end or update.
 */
export interface UsersDiff {
  readonly removed: readonly string[];
  readonly disabled: readonly string[];
  readonly passwordChanged: readonly string[];
  readonly detailsChanged: readonly string[];
}

/** The users whose sessions must end at once: removed, disabled and re-passworded. */
export function endedUsers(diff: UsersDiff): readonly { readonly username: string; readonly reason: EndReason }[] {
  return [
    ...diff.removed.map((username) => ({ username, reason: 'removed' as const })),
    ...diff.disabled.map((username) => ({ username, reason: 'disabled' as const })),
    ...diff.passwordChanged.map((username) => ({ username, reason: 'password changed' as const })),
  ];
}

export type EndReason = 'removed' | 'disabled' | 'password changed';

/** Compares the users in force before a reload with those after it. */
export function diffUsers(before: ReadonlyMap<string, StoredUser>, after: ReadonlyMap<string, StoredUser>): UsersDiff {
  const removed: string[] = [];
  const disabled: string[] = [];
  const passwordChanged: string[] = [];
  const detailsChanged: string[] = [];
  for (const [username, old] of before) {
    const now = after.get(username);
    if (now === undefined) removed.push(username);
    else if (now.disabled && !old.disabled) disabled.push(username);
    else if (now.digest !== old.digest) passwordChanged.push(username);
    else if (!sameDetails(old, now)) detailsChanged.push(username);
  }
  return { removed, disabled, passwordChanged, detailsChanged };
}

/** Whether a session built from `a` shows the same identity as one built from `b`. */
export function sameDetails(a: Pick<StoredUser, 'displayName' | 'emails' | 'groups'>, b: Pick<StoredUser, 'displayName' | 'emails' | 'groups'>): boolean {
  return a.displayName === b.displayName && sameList(a.emails, b.emails) && sameList(a.groups, b.groups);
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
