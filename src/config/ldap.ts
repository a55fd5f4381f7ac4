import { describe, keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readDuration, readInteger, readMapping, readSecret, readString, unsupportedAuthelia } from './reader.js';
import { type TlsClientConfig, readTlsClient } from './tls-client.js';

/** Authelia's `authentication_backend.ldap.implementation` values: each one only changes defaults. */
export const ldapImplementations = ['custom', 'activedirectory', 'rfc2307bis', 'freeipa', 'lldap', 'glauth'] as const;
export type LdapImplementation = (typeof ldapImplementations)[number];

/** `authentication_backend.ldap.attributes`: the directory's attribute names Gatehouse reads. */
export interface LdapAttributes {
  /** The attribute holding an entry's DN (Active Directory's `distinguishedName`); needed by `{memberof:dn}`. */
  readonly distinguishedName: string | undefined;
  readonly username: string;
  readonly displayName: string;
  readonly mail: string;
  /** The attribute listing the groups a user is in (`memberOf`); needed by `group_search_mode: memberof`. */
  readonly memberOf: string | undefined;
  readonly groupName: string;
}

/** `authentication_backend.ldap`, with Authelia's keys and per-implementation defaults. */
export interface LdapBackendConfig {
  readonly implementation: LdapImplementation;
  /** `ldap://host:389`, `ldaps://host:636` or `ldapi://%2Fpath` (the port filled in). */
  readonly url: string;
  /** Connection and operation timeout, ms. */
  readonly timeout: number;
  readonly startTls: boolean;
  /** TLS for `ldaps://` and StartTLS (with `certificates_directory`'s authorities); undefined without either. */
  readonly tls: TlsClientConfig | undefined;
  readonly baseDn: string;
  /** Where users are searched: `additional_users_dn,base_dn` (or `base_dn`). */
  readonly usersBaseDn: string;
  readonly usersFilter: string;
  /** Where groups are searched: `additional_groups_dn,base_dn` (or `base_dn`). */
  readonly groupsBaseDn: string;
  readonly groupsFilter: string;
  readonly groupSearchMode: 'filter' | 'memberof';
  readonly attributes: LdapAttributes;
  readonly permitReferrals: boolean;
  readonly permitUnauthenticatedBind: boolean;
  readonly permitFeatureDetectionFailure: boolean;
  /** The service account's DN; undefined with `permit_unauthenticated_bind`. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly pooling: { readonly enable: boolean; readonly count: number; readonly retries: number; readonly timeout: number };
}

interface ImplementationDefaults {
  readonly additionalUsersDn?: string;
  readonly additionalGroupsDn?: string;
  readonly usersFilter?: string;
  readonly groupsFilter?: string;
  readonly attributes: Omit<LdapAttributes, 'distinguishedName' | 'memberOf'> & Partial<Pick<LdapAttributes, 'distinguishedName' | 'memberOf'>>;
}

/** Authelia's `DefaultLDAPAuthenticationBackendConfigurationImplementation*`: filters and attribute names per implementation. */
export const ldapImplementationDefaults: Readonly<Record<LdapImplementation, ImplementationDefaults>> = {
  custom: { attributes: { username: 'uid', displayName: 'displayName', mail: 'mail', groupName: 'cn' } },
  activedirectory: {
    usersFilter:
      '(&(|({username_attribute}={input})({mail_attribute}={input}))(sAMAccountType=805306368)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(!(pwdLastSet=0))(|(!(accountExpires=*))(accountExpires=0)(accountExpires>={date-time:microsoft-nt})))',
    groupsFilter: '(&(member={dn})(|(sAMAccountType=268435456)(sAMAccountType=536870912)))',
    attributes: {
      distinguishedName: 'distinguishedName',
      username: 'sAMAccountName',
      displayName: 'displayName',
      mail: 'mail',
      memberOf: 'memberOf',
      groupName: 'cn',
    },
  },
  rfc2307bis: {
    usersFilter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(|(objectClass=inetOrgPerson)(objectClass=organizationalPerson)))',
    groupsFilter: '(&(|(member={dn})(uniqueMember={dn}))(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=groupOfMembers)))',
    attributes: { username: 'uid', displayName: 'displayName', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
  },
  freeipa: {
    usersFilter:
      '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=person)(!(nsAccountLock=TRUE))(krbPasswordExpiration>={date-time:generalized})(|(!(krbPrincipalExpiration=*))(krbPrincipalExpiration>={date-time:generalized})))',
    groupsFilter: '(&(member={dn})(objectClass=groupOfNames))',
    attributes: { username: 'uid', displayName: 'displayName', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
  },
  lldap: {
    additionalUsersDn: 'OU=people',
    additionalGroupsDn: 'OU=groups',
    usersFilter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=person))',
    groupsFilter: '(&(member={dn})(objectClass=groupOfUniqueNames))',
    attributes: { username: 'uid', displayName: 'cn', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
  },
  glauth: {
    usersFilter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=posixAccount)(!(accountStatus=inactive)))',
    groupsFilter: '(&(uniqueMember={dn})(objectClass=posixGroup))',
    attributes: { username: 'cn', displayName: 'description', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
  },
};

/** Authelia's defaults shared by every implementation. */
export const ldapDefaults = { timeout: 5_000, pooling: { enable: false, count: 5, retries: 2, timeout: 10_000 } } as const;

const keys = [
  'address',
  'implementation',
  'timeout',
  'start_tls',
  'tls',
  'pooling',
  'base_dn',
  'additional_users_dn',
  'users_filter',
  'additional_groups_dn',
  'groups_filter',
  'group_search_mode',
  'attributes',
  'permit_referrals',
  'permit_unauthenticated_bind',
  'permit_feature_detection_failure',
  'user',
  'password',
];
const attributeKeys = ['distinguished_name', 'username', 'display_name', 'mail', 'member_of', 'group_name'];
/** Authelia's OpenID Connect profile attributes: not read from the directory yet. */
const profileAttributeKeys = [
  'family_name',
  'given_name',
  'middle_name',
  'nickname',
  'gender',
  'birthdate',
  'website',
  'profile',
  'picture',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_extension',
  'street_address',
  'locality',
  'region',
  'postal_code',
  'country',
  'extra',
];

/** Reads `authentication_backend.ldap` (Authelia's validation rules); undefined when absent or unusable. */
export function readLdapBackend(ctx: ReadContext, path: string, value: unknown): LdapBackendConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = readMapping(ctx, path, value, keys);
  if (!raw) return undefined;
  const at = (key: string) => keyPath(path, key);
  const implementation = readChoice(ctx, at('implementation'), raw.implementation, ldapImplementations, 'custom');
  const d = ldapImplementationDefaults[implementation];
  const address = readAddress(ctx, at('address'), raw.address);
  const startTls = readBoolean(ctx, at('start_tls'), raw.start_tls, false);
  if (startTls && address && address.scheme !== 'ldap') {
    ctx.problems.error(at('start_tls'), `must be false with an '${address.scheme}://' address (StartTLS upgrades a plain ldap:// connection) but is true`);
  }
  const tlsUsed = address?.scheme === 'ldaps' || startTls;
  const tls = tlsUsed ? readTlsClient(ctx, at('tls'), raw.tls ?? {}, address?.host) : undefined;
  const baseDn = readString(ctx, at('base_dn'), raw.base_dn, { required: true });
  const attributes = readAttributes(ctx, at('attributes'), raw.attributes, d.attributes);
  const groupSearchMode = readChoice(ctx, at('group_search_mode'), raw.group_search_mode, ['filter', 'memberof'] as const, 'filter');
  const usersFilter = readFilter(ctx, at('users_filter'), raw.users_filter, d.usersFilter);
  const groupsFilter = readFilter(ctx, at('groups_filter'), raw.groups_filter, d.groupsFilter);
  checkUsersFilter(ctx, at('users_filter'), usersFilter);
  checkGroupsFilter(ctx, path, groupsFilter, groupSearchMode, attributes);
  const credentials = readCredentials(ctx, path, raw);
  if (!address || baseDn === undefined || usersFilter === undefined || groupsFilter === undefined || !credentials) return undefined;
  const additionalUsersDn = readString(ctx, at('additional_users_dn'), raw.additional_users_dn) ?? d.additionalUsersDn;
  const additionalGroupsDn = readString(ctx, at('additional_groups_dn'), raw.additional_groups_dn) ?? d.additionalGroupsDn;
  return {
    implementation,
    url: address.url,
    timeout: readDuration(ctx, at('timeout'), raw.timeout, ldapDefaults.timeout, { min: 1 }),
    startTls,
    tls,
    baseDn,
    usersBaseDn: joinDn(additionalUsersDn, baseDn),
    usersFilter,
    groupsBaseDn: joinDn(additionalGroupsDn, baseDn),
    groupsFilter,
    groupSearchMode,
    attributes,
    permitReferrals: readBoolean(ctx, at('permit_referrals'), raw.permit_referrals, false),
    permitUnauthenticatedBind: credentials.permitUnauthenticatedBind,
    permitFeatureDetectionFailure: readBoolean(ctx, at('permit_feature_detection_failure'), raw.permit_feature_detection_failure, false),
    user: credentials.user,
    password: credentials.password,
    pooling: readPooling(ctx, at('pooling'), raw.pooling),
  };
}

function joinDn(additional: string | undefined, base: string): string {
  return additional ? `${additional},${base}` : base;
}

const defaultPorts = { ldap: 389, ldaps: 636 } as const;

/** `address`: `ldap://host[:port]`, `ldaps://host[:port]` or `ldapi:///path/to/socket`, as Authelia reads it. */
function readAddress(
  ctx: ReadContext,
  path: string,
  value: unknown,
): { scheme: 'ldap' | 'ldaps' | 'ldapi'; host: string | undefined; url: string } | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  const fail = () => {
    ctx.problems.error(
      path,
      `must be an address such as 'ldap://ldap.example.com', 'ldaps://ldap.example.com:636' or 'ldapi:///run/slapd/ldapi' but is ${describe(text)}`,
    );
    return undefined;
  };
  const match = /^(ldaps?|ldapi):\/\/(.*)$/i.exec(text);
  if (!match) return fail();
  const scheme = match[1]!.toLowerCase() as 'ldap' | 'ldaps' | 'ldapi';
  if (scheme === 'ldapi') {
    const socket = decodeURIComponent(match[2]!);
    if (!socket.startsWith('/')) return fail();
    return { scheme, host: undefined, url: `ldapi://${encodeURIComponent(socket)}` };
  }
  let url: URL;
  try {
    url = new URL(`${scheme}://${match[2]}`);
  } catch {
    return fail();
  }
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') return fail();
  const port = url.port === '' ? defaultPorts[scheme] : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { scheme, host, url: `${scheme}://${url.hostname}:${port}` };
}

/** A filter: the implementation's default when absent; must be wrapped in parentheses (Authelia's rule). */
function readFilter(ctx: ReadContext, path: string, value: unknown, fallback: string | undefined): string | undefined {
  const given = readString(ctx, path, value);
  const filter = given === undefined || given === '' ? fallback : given.trim();
  if (filter === undefined) {
    ctx.problems.error(path, "must be set with implementation 'custom' but is absent");
    return undefined;
  }
  if (!filter.startsWith('(') || !filter.endsWith(')')) {
    ctx.problems.error(path, `must be an LDAP filter wrapped in parentheses but is ${describe(filter)}`);
    return undefined;
  }
  return filter;
}

function checkUsersFilter(ctx: ReadContext, path: string, filter: string | undefined): void {
  if (filter === undefined) return;
  if (!filter.includes('{input}')) ctx.problems.error(path, `must contain the placeholder '{input}' (the login typed) but is ${describe(filter)}`);
  if (filter.includes('{0}')) ctx.problems.error(path, "must use '{input}' rather than the former placeholder '{0}'");
  if (filter.includes('{memberof:')) ctx.problems.error(path, "must not contain '{memberof:dn}' or '{memberof:rdn}' (group filter placeholders)");
}

function checkGroupsFilter(ctx: ReadContext, path: string, filter: string | undefined, mode: 'filter' | 'memberof', attributes: LdapAttributes): void {
  if (filter === undefined) return;
  const at = keyPath(path, 'groups_filter');
  if (filter.includes('{0}') || filter.includes('{1}'))
    ctx.problems.error(at, "must use '{input}', '{username}' or '{dn}' rather than the former placeholders '{0}' and '{1}'");
  if (mode !== 'memberof') return;
  if (attributes.memberOf === undefined)
    ctx.problems.error(keyPath(path, 'attributes.member_of'), "must be set with group_search_mode 'memberof' but is absent");
  if (!filter.includes('{memberof:dn}') && !filter.includes('{memberof:rdn}')) {
    ctx.problems.error(at, `must contain '{memberof:dn}' or '{memberof:rdn}' with group_search_mode 'memberof' but is ${describe(filter)}`);
  }
  if (filter.includes('{memberof:dn}') && attributes.distinguishedName === undefined) {
    ctx.problems.error(keyPath(path, 'attributes.distinguished_name'), "must be set when groups_filter contains '{memberof:dn}' but is absent");
  }
}

function readAttributes(ctx: ReadContext, path: string, value: unknown, d: ImplementationDefaults['attributes']): LdapAttributes {
  const raw = readMapping(ctx, path, value, [...attributeKeys, ...profileAttributeKeys]) ?? {};
  for (const key of profileAttributeKeys) {
    const given = raw[key];
    if (given !== undefined && given !== null)
      unsupportedAuthelia(ctx, keyPath(path, key), 'OpenID Connect profile claims from directory attributes', given === '');
  }
  const name = (key: string, fallback: string | undefined) => {
    const given = readString(ctx, keyPath(path, key), raw[key]);
    return given === undefined || given === '' ? fallback : given;
  };
  return {
    distinguishedName: name('distinguished_name', d.distinguishedName),
    username: name('username', d.username) ?? d.username,
    displayName: name('display_name', d.displayName) ?? d.displayName,
    mail: name('mail', d.mail) ?? d.mail,
    memberOf: name('member_of', d.memberOf),
    groupName: name('group_name', d.groupName) ?? d.groupName,
  };
}

/** `user` and `password`: required unless `permit_unauthenticated_bind`, which in turn forbids a password (Authelia's rules). */
function readCredentials(
  ctx: ReadContext,
  path: string,
  raw: Record<string, unknown>,
): { user: string | undefined; password: string | undefined; permitUnauthenticatedBind: boolean } | undefined {
  const permit = readBoolean(ctx, keyPath(path, 'permit_unauthenticated_bind'), raw.permit_unauthenticated_bind, false);
  const user = readString(ctx, keyPath(path, 'user'), raw.user);
  const password = readSecret(ctx, keyPath(path, 'password'), raw.password);
  if (permit) {
    if (password) ctx.problems.error(keyPath(path, 'password'), 'must not be set with permit_unauthenticated_bind: true');
    return { user: user || undefined, password: undefined, permitUnauthenticatedBind: true };
  }
  let ok = true;
  for (const [key, given] of [
    ['user', user],
    ['password', password],
  ] as const) {
    if (!given) {
      ctx.problems.error(
        keyPath(path, key),
        'must be set (the service account that searches the directory) but is absent; an unauthenticated bind needs permit_unauthenticated_bind: true',
      );
      ok = false;
    }
  }
  return ok ? { user, password, permitUnauthenticatedBind: false } : undefined;
}

function readPooling(ctx: ReadContext, path: string, value: unknown): LdapBackendConfig['pooling'] {
  const raw = readMapping(ctx, path, value, ['enable', 'count', 'retries', 'timeout']) ?? {};
  const d = ldapDefaults.pooling;
  return {
    enable: readBoolean(ctx, keyPath(path, 'enable'), raw.enable, d.enable),
    count: readInteger(ctx, keyPath(path, 'count'), raw.count, d.count, { min: 1, max: 100 }),
    retries: readInteger(ctx, keyPath(path, 'retries'), raw.retries, d.retries, { min: 0, max: 100 }),
    timeout: readDuration(ctx, keyPath(path, 'timeout'), raw.timeout, d.timeout, { min: 1 }),
  };
}
