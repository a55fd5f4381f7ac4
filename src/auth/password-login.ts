import type { Regulator } from './regulation/regulator.js';
import type { User } from './users/user.js';

/** A password attempt, from the portal's form or an HTTP Basic header. */
export interface PasswordAttempt {
  /** What the user typed: a username or, with `search.email`, an e-mail address. */
  readonly login: string;
  readonly password: string;
  readonly ip: string;
  readonly requestMethod: string;
  readonly requestUri: string;
}

export interface PasswordOutcome<U = User> {
  /** The signed-in user; undefined when the attempt failed for any reason. */
  readonly user: U | undefined;
  /** The account the attempt counted against (canonical username, else the login as typed). */
  readonly username: string;
  readonly banned: boolean;
}

/**
 * One first-factor attempt with regulation, shared by the portal and HTTP Basic:
 * - the attempt counts against the canonical account however it was spelled (username or
 *   e-mail, any case), so switching spellings gives no extra tries;
 * - the password is verified even for banned or unknown users, so timing does not tell them apart;
 * - every attempt is recorded; a banned account or IP fails even with the right password.
 */
export async function passwordLogin<U extends Pick<User, 'username'> = User>(
  deps: {
    readonly users: { find(login: string): Promise<U | undefined>; checkPassword(login: string, password: string): Promise<U | undefined> };
    readonly regulator: Pick<Regulator, 'check' | 'record'>;
  },
  attempt: PasswordAttempt,
): Promise<PasswordOutcome<U>> {
  const login = attempt.login.trim();
  const username = (await deps.users.find(login))?.username ?? login;
  const ban = await deps.regulator.check(username, attempt.ip);
  const user = await deps.users.checkPassword(login, attempt.password);
  const successful = user !== undefined && !ban.banned;
  await deps.regulator.record({
    username,
    ip: attempt.ip,
    successful,
    banned: ban.banned,
    kind: '1fa',
    requestMethod: attempt.requestMethod,
    requestUri: attempt.requestUri,
  });
  return { user: successful ? user : undefined, username, banned: ban.banned };
}
