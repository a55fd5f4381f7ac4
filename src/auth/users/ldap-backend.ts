import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { BerWriter, Client, type Entry, InvalidCredentialsError, ResultCodeError } from 'ldapts';
import type { LdapBackendConfig } from '../../config/ldap.js';
import type { Clock } from '../../shared/clock.js';
import { GatehouseError } from '../../shared/errors.js';
import { Availability, type StoreHealth } from '../../shared/store-health.js';
import { StoreUnavailableError } from '../../shared/store-unavailable.js';
import type { BackendLogger } from './file-backend.js';
import { groupsFilter, usersFilter } from './ldap-filter.js';
import type { User, UserBackend } from './user.js';

/** The configuration key `/api/health` and the logs name the directory by. */
export const ldapStore = 'authentication_backend.ldap';

/** A user as the directory holds them: the entry's DN and what Gatehouse reads of it. */
export interface LdapUser extends User {
  readonly dn: string;
}

export interface LdapUserBackendOptions {
  readonly config: LdapBackendConfig;
  readonly clock: Clock;
  readonly logger?: BackendLogger & { error(details: object, message: string): void };
}

/** The Password Modify extended operation (RFC 3062 §2). */
const passwordModifyOid = '1.3.6.1.4.1.4203.1.11.1';

/**
 * The directory answered but refused a new password (the service account may not write it, the
 * directory's own password policy, the user gone): nothing changed. Shown to the user as a
 * generic server problem; the reason goes to the log.
 */
export class DirectoryPasswordWriteError extends GatehouseError {
  readonly username: string;

  constructor(username: string, detail: string, cause?: unknown) {
    super('GH_LDAP_PASSWORD_WRITE', `cannot change the password of '${username}' in the directory (authentication_backend.ldap): ${detail}`, { cause });
    this.username = username;
  }
}

/** What a search for one login found: one user, nobody, or more than one entry (refused). */
type Found = { readonly kind: 'one'; readonly user: LdapUser } | { readonly kind: 'none' } | { readonly kind: 'ambiguous'; readonly count: number };

const silent = { info() {}, warn() {}, error() {} };

/**
 * Users from an LDAP directory (`authentication_backend.ldap`), read through `ldapts`.
 *
 * - Every lookup opens a connection (StartTLS when asked), binds as the service account, searches
 *   `users_filter` with what the user typed escaped (RFC 4515), then the user's groups
 *   (`groups_filter`, or the entry's `memberOf` with `group_search_mode: memberof`), and unbinds.
 * - A password is checked by binding as the user's DN on a connection of its own; an empty
 *   password is refused before any bind (it would be an unauthenticated bind, RFC 4513 §5.1.2).
 * - Two entries for one login: refused (logged), never "the first one".
 * - A directory that cannot be reached, times out or refuses the service account fails closed:
 *   StoreUnavailableError (503, generic message), a log line when the outage starts and ends,
 *   and `/api/health` names `authentication_backend.ldap` until it answers again.
 */
export class LdapUserBackend implements UserBackend {
  readonly #config: LdapBackendConfig;
  readonly #clock: Clock;
  readonly #logger: NonNullable<LdapUserBackendOptions['logger']>;
  readonly #availability: Availability;
  readonly #decoy = randomBytes(8).toString('hex');
  /** For `/api/health` (server/health.ts): a probe binds as the service account. */
  readonly health: StoreHealth;

  constructor(options: LdapUserBackendOptions) {
    this.#config = options.config;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silent;
    this.#availability = new Availability(options.clock);
    this.health = { store: ldapStore, availability: this.#availability, probe: () => this.#withService(async () => undefined) };
  }

  async find(login: string): Promise<User | undefined> {
    const found = await this.#search(login);
    return found.kind === 'one' ? publicUser(found.user) : undefined;
  }

  async get(username: string): Promise<User | undefined> {
    const user = await this.lookup(username);
    return user && publicUser(user);
  }

  /**
   * The user named exactly `username` (a session's canonical name), with their current groups;
   * undefined when the directory no longer returns them through `users_filter` (removed or
   * disabled). Throws StoreUnavailableError when the directory cannot answer.
   */
  async lookup(username: string): Promise<LdapUser | undefined> {
    const found = await this.#search(username);
    return found.kind === 'one' && found.user.username === username ? found.user : undefined;
  }

  async checkPassword(login: string, password: string): Promise<User | undefined> {
    const found = await this.#search(login);
    if (password === '') return undefined;
    if (found.kind !== 'one') {
      // An unknown (or ambiguous) login costs a bind too, as a known one does, so that the
      // answer's time does not tell which logins exist: a bind as an entry that cannot exist.
      await this.#decoyBind(password);
      return undefined;
    }
    return (await this.#bindAs(found.user.dn, password)) ? publicUser(found.user) : undefined;
  }

  /**
   * A bind as a DN under `base_dn` that no directory holds (a random RDN chosen at start), on a
   * connection of its own like a real check; its answer (invalid credentials) is not looked at, and
   * it never marks the directory as down: the search before it has just shown it answers.
   */
  async #decoyBind(password: string): Promise<void> {
    const client = this.#client();
    try {
      await this.#secure(client);
      await client.bind(`cn=gatehouse-no-such-user-${this.#decoy},${this.#config.baseDn}`, password);
    } catch {
      // Expected: the entry does not exist.
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /**
   * Whether new passwords can be written: Password Modify (RFC 3062) is what OpenLDAP, lldap,
   * FreeIPA and GLAuth offer; Active Directory's `unicodePwd` is not supported yet.
   */
  get writesPasswords(): boolean {
    return this.#config.implementation !== 'activedirectory';
  }

  /**
   * Sets the password of the user named exactly `username` with the Password Modify extended
   * operation (RFC 3062), as the service account (which needs the right to write it).
   * @throws DirectoryPasswordWriteError when the directory refuses; StoreUnavailableError when it cannot answer.
   */
  async setPassword(username: string, password: string): Promise<void> {
    const refused = await this.#withService(async (client): Promise<{ detail: string; cause?: unknown } | undefined> => {
      const found = await this.#searchOn(client, username);
      if (found.kind !== 'one' || found.user.username !== username) return { detail: 'the user is not found by users_filter' };
      const request = new BerWriter();
      request.startSequence();
      request.writeString(found.user.dn, 0x80);
      request.writeString(password, 0x82);
      request.endSequence();
      try {
        await client.exop(passwordModifyOid, request.buffer);
        return undefined;
      } catch (error) {
        if (error instanceof ResultCodeError) return { detail: `the directory refused it (${error.name}: ${error.message})`, cause: error };
        throw error;
      }
    });
    if (refused) {
      this.#logger.error({ username, err: refused.cause }, `${ldapStore}: the new password of '${username}' was not written: ${refused.detail}`);
      throw new DirectoryPasswordWriteError(username, refused.detail, refused.cause);
    }
  }

  /** Searches `login` with the service account: the user entry, then their groups. */
  async #search(login: string): Promise<Found> {
    if (login === '') return { kind: 'none' };
    return this.#withService((client) => this.#searchOn(client, login));
  }

  async #searchOn(client: Client, login: string): Promise<Found> {
    const c = this.#config;
    const a = c.attributes;
    const filter = usersFilter(c, login, this.#clock.now());
    const attributes = [a.username, a.displayName, a.mail, ...(a.memberOf ? [a.memberOf] : []), ...(a.distinguishedName ? [a.distinguishedName] : [])];
    const { searchEntries } = await client.search(c.usersBaseDn, { scope: 'sub', filter, attributes });
    if (searchEntries.length === 0) return { kind: 'none' };
    if (searchEntries.length > 1) {
      this.#logger.error(
        { login, entries: searchEntries.length, dns: searchEntries.map((e) => e.dn) },
        `${ldapStore}: users_filter returned ${searchEntries.length} entries for one login; the sign-in is refused (make the username attribute unique)`,
      );
      return { kind: 'ambiguous', count: searchEntries.length };
    }
    const entry = searchEntries[0]!;
    const username = first(entry, a.username);
    if (username === undefined) {
      this.#logger.warn({ login, dn: entry.dn }, `${ldapStore}: the entry has no '${a.username}' attribute (attributes.username); it cannot sign in`);
      return { kind: 'none' };
    }
    const memberOf = a.memberOf ? values(entry, a.memberOf) : [];
    const groups = await this.#groups(client, { input: login, username, dn: entry.dn, memberOf });
    const displayName = first(entry, a.displayName) ?? username;
    return { kind: 'one', user: { dn: entry.dn, username, displayName, emails: values(entry, a.mail), groups, profile: {} } };
  }

  async #groups(client: Client, user: { input: string; username: string; dn: string; memberOf: readonly string[] }): Promise<string[]> {
    const c = this.#config;
    if (c.groupSearchMode === 'memberof' && user.memberOf.length === 0) return [];
    const filter = groupsFilter(c, user, this.#clock.now());
    const { searchEntries } = await client.search(c.groupsBaseDn, { scope: 'sub', filter, attributes: [c.attributes.groupName] });
    const names = searchEntries.map((e) => first(e, c.attributes.groupName)).filter((n): n is string => n !== undefined);
    return [...new Set(names)];
  }

  /** Whether `password` is the one of `dn`: a simple bind on a connection of its own, then unbind. */
  async #bindAs(dn: string, password: string): Promise<boolean> {
    const client = this.#client();
    try {
      await this.#secure(client);
      await client.bind(dn, password);
      this.#availability.answered();
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        this.#availability.answered();
        return false;
      }
      throw this.#unavailable(error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** Runs `work` on a connection bound as the service account; connection failures become StoreUnavailableError. */
  async #withService<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = this.#client();
    try {
      await this.#secure(client);
      const c = this.#config;
      if (c.user !== undefined || c.password !== undefined) await client.bind(c.user ?? '', c.password ?? '');
      const result = await work(client);
      this.#availability.answered();
      return result;
    } catch (error) {
      throw this.#unavailable(error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  async #secure(client: Client): Promise<void> {
    if (this.#config.startTls) await client.startTLS(this.#tlsOptions());
  }

  #client(): Client {
    const c = this.#config;
    const socket = c.url.startsWith('ldapi://') ? decodeURIComponent(c.url.slice('ldapi://'.length)) : undefined;
    return new Client({
      url: socket === undefined ? c.url : 'ldap://localhost',
      timeout: c.timeout,
      connectTimeout: c.timeout,
      ...(c.url.startsWith('ldaps://') ? { tlsOptions: this.#tlsOptions() } : {}),
      ...(socket === undefined ? {} : { createConnection: (() => netConnect(socket)) as unknown as typeof netConnect }),
    });
  }

  #tlsOptions(): ConnectionOptions {
    const tls = this.#config.tls;
    if (tls === undefined) return { minVersion: 'TLSv1.2' };
    return {
      servername: tls.serverName,
      rejectUnauthorized: !tls.skipVerify,
      minVersion: tls.minimumVersion,
      maxVersion: tls.maximumVersion,
      ...(tls.ca ? { ca: [...tls.ca] } : {}),
      ...(tls.certificateChain && tls.privateKey ? { cert: tls.certificateChain, key: tls.privateKey } : {}),
    };
  }

  #unavailable(error: unknown): StoreUnavailableError {
    if (error instanceof StoreUnavailableError) return error;
    const reason = describeFailure(error);
    this.#availability.failed(reason);
    return new StoreUnavailableError(
      'GH_LDAP_UNAVAILABLE',
      'The sign-in cannot be completed right now (the user directory is unavailable); try again shortly.',
      {
        store: ldapStore,
        reason,
        cause: error,
      },
    );
  }
}

/** A few words on why the directory failed, without addresses or secrets. */
function describeFailure(error: unknown): string {
  if (error instanceof InvalidCredentialsError) return 'the directory refuses the service account (user, password)';
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `cannot connect (${code})`;
  const name = error instanceof Error ? error.name : 'error';
  if (/timeout/i.test(name) || /timeout|timed out/i.test(error instanceof Error ? error.message : '')) return 'the directory did not answer in time (timeout)';
  return `the directory failed (${name})`;
}

function values(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)).filter((v) => v !== '');
}

function first(entry: Entry, attribute: string): string | undefined {
  return attribute.toLowerCase() === 'dn' || attribute.toLowerCase() === 'distinguishedname'
    ? (values(entry, attribute)[0] ?? entry.dn)
    : values(entry, attribute)[0];
}

function publicUser(user: LdapUser): User {
  return { username: user.username, displayName: user.displayName, emails: user.emails, groups: user.groups, profile: user.profile };
}
