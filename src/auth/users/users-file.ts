import yaml from 'js-yaml';
import { Problems, describe, keyPath } from '../../config/problems.js';
import { type ReadContext, readBoolean, readList, readMapping, readString } from '../../config/reader.js';
import { isSupportedDigest } from '../../shared/password-digest.js';
import type { User, UserProfile } from './user.js';

/** A user with what only the backend may see. */
export interface StoredUser extends User {
  readonly digest: string;
  readonly disabled: boolean;
}

/** How logins are looked up (`authentication_backend.file.search`). */
export interface UserSearch {
  readonly email: boolean;
  readonly caseInsensitive: boolean;
}

/** A parsed users file, indexed for lookups. */
export interface UsersDatabase {
  readonly users: ReadonlyMap<string, StoredUser>;
  readonly index: {
    /** Username (lower-cased with `search.case_insensitive`) → username. */
    readonly names: ReadonlyMap<string, string>;
    /** Lower-cased email → username; empty unless `search.email`. */
    readonly emails: ReadonlyMap<string, string>;
  };
}

export type ParseOutcome = { readonly ok: true; readonly database: UsersDatabase } | { readonly ok: false; readonly problems: readonly string[] };

const profileKeys = {
  given_name: 'givenName',
  middle_name: 'middleName',
  family_name: 'familyName',
  nickname: 'nickname',
  gender: 'gender',
  birthdate: 'birthdate',
  website: 'website',
  profile: 'profile',
  picture: 'picture',
  zoneinfo: 'zoneinfo',
  locale: 'locale',
  phone_number: 'phoneNumber',
  phone_extension: 'phoneExtension',
} as const;
const addressKeys = ['street_address', 'locality', 'region', 'postal_code', 'country'];
const userKeys = ['disabled', 'displayname', 'password', 'email', 'groups', 'address', 'extra', ...Object.keys(profileKeys)];

/**
 * Parses Authelia's `users_database.yml`. Every problem is reported with its dotted path
 * (`users.john.password: …`); the digests are checked for a supported format, not verified.
 */
export function parseUsersFile(text: string, search: UserSearch): ParseOutcome {
  const problems = new Problems();
  const ctx: ReadContext = { problems, env: {}, baseDir: '' };
  let document: unknown;
  try {
    document = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (error) {
    const e = error as yaml.YAMLException;
    const { line, column } = e.mark ?? { line: 0, column: 0 };
    return { ok: false, problems: [`line ${line + 1}, column ${column + 1}: YAML syntax error: ${e.reason}`] };
  }
  const top = readMapping(ctx, '', document ?? {}, ['users']);
  const users = new Map<string, StoredUser>();
  if (top && (top.users === undefined || top.users === null)) problems.error('users', 'must be set but is absent');
  for (const [username, entry] of top ? userEntries(ctx, top.users) : []) {
    const user = readUser(ctx, keyPath('users', username), username, entry);
    if (user) users.set(username, user);
  }
  const index = buildIndex(problems, users, search);
  if (!top) problems.error('', 'the users file must hold a mapping with the key users at its top level');
  return problems.errors.length > 0 ? { ok: false, problems: problems.errors } : { ok: true, database: { users, index } };
}

/**
 * Names that mean something to JavaScript objects. Usernames end up as keys in places beyond
 * this file, so these are refused rather than risk one reaching an object's prototype.
 */
const reservedUsernames = new Set(['__proto__', 'constructor']);

/** The entries of the `users` mapping, reserved names reported and left out. */
function userEntries(ctx: ReadContext, value: unknown): [string, unknown][] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.problems.error('users', `must be a mapping but is ${describe(value)}`);
    return [];
  }
  return Object.entries(value).filter(([username]) => {
    if (!reservedUsernames.has(username)) return true;
    ctx.problems.error(keyPath('users', username), 'is a reserved name and is not allowed as a username');
    return false;
  });
}

function readUser(ctx: ReadContext, path: string, username: string, value: unknown): StoredUser | undefined {
  const raw = readMapping(ctx, path, value, userKeys);
  if (!raw) return undefined;
  const displayName = readString(ctx, keyPath(path, 'displayname'), raw.displayname, { required: true });
  const digest = readString(ctx, keyPath(path, 'password'), raw.password, { required: true });
  if (digest !== undefined && digest.trim() !== '' && !isSupportedDigest(digest)) {
    ctx.problems.error(
      keyPath(path, 'password'),
      "must be a password digest such as '$argon2id$…', '$6$…' or '$2b$…' (see gatehouse hash-password) but is not one",
    );
  }
  const emails = readEmails(ctx, keyPath(path, 'email'), raw.email);
  const groups = readList(ctx, keyPath(path, 'groups'), raw.groups, (g, at) => readString(ctx, at, g, { required: true }));
  const disabled = readBoolean(ctx, keyPath(path, 'disabled'), raw.disabled, false);
  const profile: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(profileKeys)) {
    const text = readString(ctx, keyPath(path, key), raw[key]);
    if (text !== undefined) profile[field] = text;
  }
  const address = readMapping(ctx, keyPath(path, 'address'), raw.address, addressKeys);
  if (address && Object.keys(address).length > 0) {
    profile.address = Object.fromEntries(
      Object.entries(address).flatMap(([k, v]) => {
        const text = readString(ctx, keyPath(keyPath(path, 'address'), k), v);
        return text === undefined ? [] : [[k, text]];
      }),
    );
  }
  const extra = raw.extra === undefined || raw.extra === null ? undefined : raw.extra;
  if (extra !== undefined) {
    if (typeof extra === 'object' && !Array.isArray(extra)) profile.extra = extra;
    else ctx.problems.error(keyPath(path, 'extra'), `must be a mapping but is ${describe(extra)}`);
  }
  if (displayName === undefined || digest === undefined) return undefined;
  return { username, displayName, emails, groups, profile: profile as UserProfile, digest, disabled };
}

function readEmails(ctx: ReadContext, path: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const emails: string[] = [];
  list.forEach((entry, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    const text = readString(ctx, at, entry, { required: true });
    if (text === undefined) return;
    if (!/^[^@\s]+@[^@\s]+$/.test(text)) ctx.problems.error(at, `must be an email address but is ${describe(text)}`);
    else emails.push(text);
  });
  return emails;
}

function buildIndex(problems: Problems, users: ReadonlyMap<string, StoredUser>, search: UserSearch): UsersDatabase['index'] {
  const names = new Map<string, string>();
  const emails = new Map<string, string>();
  for (const username of users.keys()) {
    const key = search.caseInsensitive ? username.toLowerCase() : username;
    const other = names.get(key);
    if (other !== undefined) {
      problems.error(keyPath('users', username), `must differ from '${other}' ignoring case (search.case_insensitive is on) but does not`);
    } else names.set(key, username);
  }
  if (!search.email) return { names, emails };
  for (const user of users.values()) {
    for (const email of user.emails) {
      const key = email.toLowerCase();
      const owner = emails.get(key) ?? names.get(search.caseInsensitive ? key : email);
      const at = keyPath(keyPath('users', user.username), 'email');
      if (owner === undefined || owner === user.username) emails.set(key, user.username);
      else problems.error(at, `must not be used by another user (search.email is on) but '${email}' is also used by '${owner}'`);
    }
  }
  return { names, emails };
}
