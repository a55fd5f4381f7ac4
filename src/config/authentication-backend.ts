import { existsSync } from 'node:fs';
import { defaults } from './defaults.js';
import { parseDuration } from './duration.js';
import { describe, keyPath } from './problems.js';
import { type LdapBackendConfig, readLdapBackend } from './ldap.js';
import { type PasswordHashingConfig, readPasswordHashing } from './password-hashing.js';
import { type ReadContext, readBoolean, readMapping, readPath, readString } from './reader.js';

/** `authentication_backend.file`: Authelia's `users_database.yml`. */
export interface FileBackendConfig {
  /** Absolute path of the users file. */
  readonly path: string;
  /** Reload the file when it changes. */
  readonly watch: boolean;
  readonly search: {
    /** Users may log in with their email address too. */
    readonly email: boolean;
    /** Usernames match whatever their case. */
    readonly caseInsensitive: boolean;
  };
  readonly password: PasswordHashingConfig;
}

export interface AuthenticationBackendConfig {
  /** `authentication_backend.file`; exactly one of `file` and `ldap` is set. */
  readonly file: FileBackendConfig | undefined;
  /** `authentication_backend.ldap` (config/ldap.ts). */
  readonly ldap: LdapBackendConfig | undefined;
  /**
   * How often a session's user is checked again against the backend (ends the session of a
   * removed, disabled or re-passworded user; refreshes groups, emails and display name):
   * milliseconds, `'always'` (at every use; the default with `watch: true`, and what `0` means)
   * or `'disable'` (never at use). Default 5 minutes without `watch`.
   */
  readonly refreshInterval: number | 'always' | 'disable';
  /** `password_reset`: the sign-in page's "Forgot password?" link. */
  readonly passwordReset: PasswordResetConfig;
  /** `password_change.disable`: no password change for signed-in users (Authelia's key; default false). */
  readonly passwordChange: { readonly disable: boolean };
}

/** `authentication_backend.password_reset`, with Authelia's keys and defaults. */
export interface PasswordResetConfig {
  /** No "Forgot password?" link and no reset endpoints (default false). */
  readonly disable: boolean;
  /** When set, the link goes to this absolute http(s) URL and Gatehouse's own reset endpoints are off (default none). */
  readonly customUrl: string | undefined;
}

/** Authelia keys accepted but not implemented: a warning when set. */
const ignoredKeys: string[] = [];

/** Reads `authentication_backend`; `undefined` when the section is absent. */
export function readAuthenticationBackend(ctx: ReadContext, value: unknown): AuthenticationBackendConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const path = 'authentication_backend';
  const raw = readMapping(ctx, path, value, ['file', 'ldap', 'refresh_interval', 'password_reset', 'password_change', ...ignoredKeys]);
  if (!raw) return undefined;
  for (const key of ignoredKeys) {
    if (raw[key] !== undefined) ctx.problems.warn(keyPath(path, key), 'is not implemented by this version of Gatehouse yet and is ignored');
  }
  const hasFile = raw.file !== undefined && raw.file !== null;
  const hasLdap = raw.ldap !== undefined && raw.ldap !== null;
  if (hasFile && hasLdap) {
    ctx.problems.error(path, "must have one of 'file' and 'ldap' but has both");
    return undefined;
  }
  const file = hasLdap ? undefined : readFileBackend(ctx, keyPath(path, 'file'), raw.file);
  const ldap = hasLdap ? readLdapBackend(ctx, keyPath(path, 'ldap'), raw.ldap) : undefined;
  if (!file && !ldap) return undefined;
  const config = {
    file,
    ldap,
    refreshInterval: readRefreshInterval(ctx, keyPath(path, 'refresh_interval'), raw.refresh_interval, file?.watch === true),
    passwordReset: readPasswordReset(ctx, keyPath(path, 'password_reset'), raw.password_reset),
    passwordChange: readPasswordChange(ctx, keyPath(path, 'password_change'), raw.password_change),
  };
  if (ldap?.implementation === 'activedirectory') warnLdapPasswordWrites(ctx, path, config);
  return config;
}

/**
 * Password reset and change write to the users file or, through Password Modify (RFC 3062), to
 * the directory; Active Directory's `unicodePwd` is not written yet, so with it they are off, and
 * a configuration that leaves them on is told so at load (set `disable: true`, or a `custom_url`).
 */
function warnLdapPasswordWrites(ctx: ReadContext, path: string, config: Pick<AuthenticationBackendConfig, 'passwordReset' | 'passwordChange'>): void {
  const reason =
    "is not available with authentication_backend.ldap implementation 'activedirectory' in this version of Gatehouse (unicodePwd is not written yet)";
  if (!config.passwordReset.disable && !config.passwordReset.customUrl) {
    ctx.problems.warn(keyPath(path, 'password_reset'), `${reason}: the "Forgot password?" link is off; set disable: true or a custom_url`);
  }
  if (!config.passwordChange.disable)
    ctx.problems.warn(keyPath(path, 'password_change'), `${reason}: the settings page offers no password change; set disable: true`);
}

function readPasswordChange(ctx: ReadContext, path: string, value: unknown): { disable: boolean } {
  const raw = readMapping(ctx, path, value, ['disable']) ?? {};
  return { disable: readBoolean(ctx, keyPath(path, 'disable'), raw.disable, false) };
}

function readPasswordReset(ctx: ReadContext, path: string, value: unknown): PasswordResetConfig {
  const raw = readMapping(ctx, path, value, ['disable', 'custom_url']) ?? {};
  const customUrl = readString(ctx, keyPath(path, 'custom_url'), raw.custom_url);
  let url: URL | undefined;
  try {
    url = customUrl ? new URL(customUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (customUrl && (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))) {
    ctx.problems.error(keyPath(path, 'custom_url'), `must be an absolute http or https URL but is ${describe(customUrl)}`);
  }
  return { disable: readBoolean(ctx, keyPath(path, 'disable'), raw.disable, false), customUrl: customUrl || undefined };
}

function readFileBackend(ctx: ReadContext, path: string, value: unknown): FileBackendConfig | undefined {
  if (value === undefined || value === null) {
    ctx.problems.error(path, 'must be set but is absent');
    return undefined;
  }
  const raw = readMapping(ctx, path, value, ['path', 'watch', 'search', 'password', 'extra_attributes']);
  if (!raw) return undefined;
  if (raw.extra_attributes !== undefined) {
    ctx.problems.error(keyPath(path, 'extra_attributes'), 'is not supported by this version of Gatehouse');
  }
  const file = readPath(ctx, keyPath(path, 'path'), raw.path, { required: true });
  if (file !== undefined && !existsSync(file)) {
    ctx.problems.error(keyPath(path, 'path'), `must name an existing file but '${file}' does not exist`);
  }
  const d = defaults.authenticationBackend.file;
  const search = readMapping(ctx, keyPath(path, 'search'), raw.search, ['email', 'case_insensitive']) ?? {};
  const config = {
    path: file ?? '',
    watch: readBoolean(ctx, keyPath(path, 'watch'), raw.watch, d.watch),
    search: {
      email: readBoolean(ctx, keyPath(path, 'search.email'), search.email, d.search.email),
      caseInsensitive: readBoolean(ctx, keyPath(path, 'search.case_insensitive'), search.case_insensitive, d.search.caseInsensitive),
    },
    password: readPasswordHashing(ctx, keyPath(path, 'password'), raw.password),
  };
  return file === undefined ? undefined : config;
}

function readRefreshInterval(ctx: ReadContext, path: string, value: unknown, watch: boolean): AuthenticationBackendConfig['refreshInterval'] {
  if (value === undefined || value === null) return watch ? 'always' : defaults.authenticationBackend.refreshInterval;
  if (value === 'always' || value === 'disable') return value;
  const ms = parseDuration(value);
  // As in Authelia, a zero interval is the same as 'always'.
  if (ms === 0) return 'always';
  if (ms === undefined) {
    ctx.problems.error(path, `must be a positive duration such as '1m' or '5m', 'always' or 'disable' but is ${describe(value)}`);
    return defaults.authenticationBackend.refreshInterval;
  }
  return ms;
}
