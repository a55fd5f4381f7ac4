/**
 * Who makes a request. An anonymous subject has no user name, no groups and no OAuth2 client
 * (Authelia's definition); `ip` is the client address, `undefined` when unknown (then no
 * `networks` criterion matches).
 */
export interface Subject {
  readonly username: string;
  readonly groups: readonly string[];
  readonly ip: string | undefined;
  readonly clientId: string;
}

/** Whether nothing is known of who the subject is. */
export function isAnonymous(subject: Subject): boolean {
  return subject.username === '' && subject.groups.length === 0 && subject.clientId === '';
}

/** An anonymous subject at `ip`. */
export function anonymousSubject(ip?: string): Subject {
  return { username: '', groups: [], ip, clientId: '' };
}
