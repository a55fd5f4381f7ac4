/** Optional OpenID Connect profile claims of a user (Authelia's users-file fields). */
export interface UserProfile {
  readonly givenName?: string;
  readonly middleName?: string;
  readonly familyName?: string;
  readonly nickname?: string;
  readonly gender?: string;
  readonly birthdate?: string;
  readonly website?: string;
  readonly profile?: string;
  readonly picture?: string;
  readonly zoneinfo?: string;
  readonly locale?: string;
  /** When the user's claims last changed, in seconds since the epoch (OpenID Connect `updated_at`). */
  readonly updatedAt?: number | undefined;
  readonly phoneNumber?: string;
  readonly phoneExtension?: string;
  readonly address?: Readonly<Record<string, string>>;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A user as the rest of Gatehouse sees it: never the password digest. */
export interface User {
  /** The username as written in the users file (canonical case). */
  readonly username: string;
  readonly displayName: string;
  readonly emails: readonly string[];
  readonly groups: readonly string[];
  readonly profile: UserProfile;
}

/**
 * Who a person is, as a session holds them and the `Remote-User`, `Remote-Groups`, `Remote-Name`
 * and `Remote-Email` headers carry them: a {@link User} without the profile claims.
 */
export type Identity = Pick<User, 'username' | 'displayName' | 'emails' | 'groups'>;

/** Where users and their passwords come from. */
export interface UserBackend {
  /**
   * The enabled user that `login` names: a username (ignoring case with
   * `search.case_insensitive`) or, with `search.email`, an email address.
   * Disabled and unknown users are both `undefined`.
   */
  find(login: string): Promise<User | undefined>;
  /**
   * The enabled user named exactly `username` (the canonical name a session or token holds):
   * no case folding and no email lookup, so a removed user's name never resolves to another
   * user who has it as an address.
   */
  get(username: string): Promise<User | undefined>;
  /**
   * The user when `password` is theirs, else `undefined` (unknown, disabled or wrong password
   * alike). Takes about the same time in every case: an unknown login is checked against a
   * dummy digest of the configured algorithm.
   */
  checkPassword(login: string, password: string): Promise<User | undefined>;
}
