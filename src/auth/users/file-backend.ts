import { readFile, stat } from 'node:fs/promises';
import type { FileBackendConfig } from '../../config/authentication-backend.js';
import { fsReason } from '../../config/reader.js';
import { StartupError } from '../../shared/errors.js';
import { type Random, systemRandom } from '../../shared/random.js';
import { hashWithConfig } from '../password/configured-hash.js';
import { verifyPassword } from '../password/verify.js';
import { watchFile } from './file-watcher.js';
import { passwordFingerprint } from './password-fingerprint.js';
import type { Account, ReloadOutcome, UserDirectory } from './user-directory.js';
import type { User, UserBackend } from './user.js';
import { diffUsers } from './users-diff.js';
import { type StoredUser, type UsersDatabase, parseUsersFile } from './users-file.js';

/** What the backend logs (a pino logger fits). */
export interface BackendLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface FileUserBackendOptions {
  readonly config: FileBackendConfig;
  readonly logger?: BackendLogger;
  readonly random?: Random;
  /** Quiet time after a change before the file is re-read (watch mode); default 200 ms. */
  readonly debounceMs?: number;
  /** The digest check; tests pass one that records its calls. Default {@link verifyPassword}. */
  readonly verify?: (digest: string, password: string) => Promise<boolean>;
}

const silent: BackendLogger = { info() {}, warn() {} };

/** Users from Authelia's `users_database.yml` (`authentication_backend.file`). */
export class FileUserBackend implements UserBackend, UserDirectory {
  readonly #config: FileBackendConfig;
  readonly #logger: BackendLogger;
  readonly #dummyDigest: string;
  readonly #verify: (digest: string, password: string) => Promise<boolean>;
  readonly #listeners = new Set<(outcome: ReloadOutcome) => void>();
  /** Accounts handed out by `account()`, made once per user of each file read. */
  readonly #accounts = new WeakMap<StoredUser, Account>();
  #database: UsersDatabase;
  /** Per username: when its claims last changed (seconds; the users file's time at the read that saw it) and what they were. */
  #updated = new Map<string, { readonly at: number; readonly shown: string }>();
  #stopWatching: (() => void) | undefined;

  private constructor(options: FileUserBackendOptions, database: UsersDatabase, dummyDigest: string, modifiedAt: number) {
    this.#config = options.config;
    this.#logger = options.logger ?? silent;
    this.#database = database;
    this.#stampUpdates(database, modifiedAt);
    this.#dummyDigest = dummyDigest;
    this.#verify = options.verify ?? verifyPassword;
  }

  /**
   * Reads the users file, prepares the dummy digest and, with `watch: true`, starts watching.
   * @throws StartupError `GH_USERS_FILE` naming the file and listing every problem.
   */
  static async open(options: FileUserBackendOptions): Promise<FileUserBackend> {
    const { config } = options;
    const outcome = await read(config);
    if (!outcome.ok) {
      const count = outcome.problems.length;
      throw new StartupError(
        'GH_USERS_FILE',
        `authentication_backend.file.path: the users file '${config.path}' has ${count} problem${count === 1 ? '' : 's'}:\n` +
          outcome.problems.map((p) => `  - ${p}`).join('\n'),
      );
    }
    const random = options.random ?? systemRandom;
    const dummy = await hashWithConfig(random.bytes(18).toString('base64'), config.password, random);
    const backend = new FileUserBackend(options, outcome.database, dummy, outcome.modifiedAt);
    if (config.watch) backend.#watch(options.debounceMs ?? 200);
    return backend;
  }

  /** How many users the file in force has (disabled ones included). */
  get size(): number {
    return this.#database.users.size;
  }

  async find(login: string): Promise<User | undefined> {
    const user = this.#lookup(login);
    return user && !user.disabled ? this.#public(user) : undefined;
  }

  async get(username: string): Promise<User | undefined> {
    const user = this.#database.users.get(username);
    return user && !user.disabled ? this.#public(user) : undefined;
  }

  async checkPassword(login: string, password: string): Promise<User | undefined> {
    const user = this.#lookup(login);
    if (!user || user.disabled) {
      await this.#verify(this.#dummyDigest, password);
      return undefined;
    }
    if (!(await this.#verify(user.digest, password))) return undefined;
    // A reload while the digest was being checked may have disabled the user or replaced the
    // password: the login must not succeed on the old one (its session would never be ended).
    const current = this.#lookup(login);
    return current?.username === user.username && !current.disabled && current.digest === user.digest ? this.#public(current) : undefined;
  }

  /** The user named exactly `username` (canonical case, never an email), disabled or not. */
  account(username: string): Account | undefined {
    const user = this.#database.users.get(username);
    if (user === undefined) return undefined;
    let account = this.#accounts.get(user);
    if (account === undefined) {
      account = { ...this.#public(user), disabled: user.disabled, passwordFingerprint: passwordFingerprint(user.digest) };
      this.#accounts.set(user, account);
    }
    return account;
  }

  /** A user as the rest of Gatehouse sees it: never the digest; `updated_at` from the reads that saw its claims change. */
  #public(user: StoredUser): User {
    const updatedAt = this.#updated.get(user.username)?.at;
    return { username: user.username, displayName: user.displayName, emails: user.emails, groups: user.groups, profile: { ...user.profile, updatedAt } };
  }

  /** Keeps each user's `updated_at` unless its claims differ from those of the previous read. */
  #stampUpdates(database: UsersDatabase, modifiedAt: number): void {
    const next = new Map<string, { at: number; shown: string }>();
    for (const [username, user] of database.users) {
      const text = shown(user);
      const before = this.#updated.get(username);
      next.set(username, before?.shown === text ? before : { at: Math.floor(modifiedAt / 1000), shown: text });
    }
    this.#updated = next;
  }

  /** Re-reads the file now; keeps the users in force when it is broken. Listeners are told. */
  async reload(): Promise<ReloadOutcome> {
    const outcome = await read(this.#config);
    let result: ReloadOutcome;
    if (outcome.ok) {
      const changes = diffUsers(this.#database.users, outcome.database.users);
      this.#database = outcome.database;
      this.#stampUpdates(outcome.database, outcome.modifiedAt);
      result = { ok: true, users: outcome.database.users.size, changes };
      this.#logger.info({ file: this.#config.path, users: result.users, ...changes }, 'users file reloaded');
    } else {
      result = outcome;
      this.#logger.warn(
        { file: this.#config.path, problems: outcome.problems },
        `users file not reloaded, keeping the previous one: ${outcome.problems.join('; ')}`,
      );
    }
    for (const listener of this.#listeners) listener(result);
    return result;
  }

  /** Calls `listener` after every reload (watch-triggered or not). Returns an unsubscribe function. */
  onReload(listener: (outcome: ReloadOutcome) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops watching the file. */
  async close(): Promise<void> {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }

  #lookup(login: string): StoredUser | undefined {
    const { users, index } = this.#database;
    const { search } = this.#config;
    const name = index.names.get(search.caseInsensitive ? login.toLowerCase() : login);
    const username = name ?? (search.email ? index.emails.get(login.toLowerCase()) : undefined);
    return username === undefined ? undefined : users.get(username);
  }

  #watch(debounceMs: number): void {
    this.#stopWatching = watchFile(this.#config.path, () => void this.reload(), {
      debounceMs,
      onError: (error) => this.#logger.warn({ file: this.#config.path, error: error.message }, 'cannot watch the users file'),
    });
  }
}

async function read(config: FileBackendConfig): Promise<{ ok: true; database: UsersDatabase; modifiedAt: number } | { ok: false; problems: string[] }> {
  let text: string;
  let modifiedAt: number;
  try {
    [text, modifiedAt] = await Promise.all([readFile(config.path, 'utf8'), stat(config.path).then((s) => s.mtimeMs)]);
  } catch (error) {
    return { ok: false, problems: [`cannot read the file: ${fsReason(error)}`] };
  }
  const parsed = parseUsersFile(text, config.search);
  return parsed.ok ? { ...parsed, modifiedAt } : { ok: false, problems: [...parsed.problems] };
}

/** What OpenID Connect's `updated_at` compares: everything a user's claims come from. */
function shown(user: StoredUser): string {
  return JSON.stringify([user.displayName, user.emails, user.groups, user.profile]);
}
