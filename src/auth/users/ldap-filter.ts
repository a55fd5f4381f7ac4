import type { LdapBackendConfig } from '../../config/ldap.js';

/**
 * Escapes a value for an LDAP search filter (RFC 4515 §3): `\`, `*`, `(`, `)` and NUL become
 * `\5c`, `\2a`, `\28`, `\29` and `\00`, so what a user typed is only ever matched as a value —
 * `*)(uid=*` can neither add a clause nor become a wildcard.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The user entry's parts a groups filter can name. */
export interface GroupFilterInput {
  /** What the user typed at sign-in (or the session's username at a refresh). */
  readonly input: string;
  readonly username: string;
  readonly dn: string;
  /** The values of `attributes.member_of` (DNs of the user's groups). */
  readonly memberOf: readonly string[];
}

/**
 * Authelia's `{date-time:*}` placeholders, at `now`: `generalized` (GeneralizedTime, FreeIPA),
 * `microsoft-nt` (100 ns ticks since 1601, Active Directory's `accountExpires`) and `unix` (seconds).
 */
function dateTimes(filter: string, now: number): string {
  const generalized = `${new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 14)}.0Z`;
  const nt = (BigInt(Math.floor(now)) + 11_644_473_600_000n) * 10_000n;
  return filter
    .replaceAll('{date-time:generalized}', generalized)
    .replaceAll('{date-time:microsoft-nt}', nt.toString())
    .replaceAll('{date-time:unix}', String(Math.floor(now / 1000)));
}

/** Authelia's attribute-name placeholders (configuration, not user input: never escaped). */
function attributeNames(filter: string, config: Pick<LdapBackendConfig, 'attributes'>): string {
  const a = config.attributes;
  return filter
    .replaceAll('{username_attribute}', a.username)
    .replaceAll('{mail_attribute}', a.mail)
    .replaceAll('{display_name_attribute}', a.displayName)
    .replaceAll('{distinguished_name_attribute}', a.distinguishedName ?? '')
    .replaceAll('{member_of_attribute}', a.memberOf ?? '');
}

/** `users_filter` for what the user typed: attribute names in, `{input}` escaped (RFC 4515), date-times at `now`. */
export function usersFilter(config: Pick<LdapBackendConfig, 'attributes' | 'usersFilter'>, input: string, now: number): string {
  return dateTimes(attributeNames(config.usersFilter, config), now).replaceAll('{input}', escapeFilterValue(input));
}

/**
 * `groups_filter` for one user: `{input}`, `{username}` and `{dn}` escaped; `{memberof:dn}` becomes
 * `(<distinguished_name>=<group dn>)` for each group the user's entry lists, `{memberof:rdn}` each
 * group's first RDN (`(cn=admins)`), as Authelia expands them.
 */
export function groupsFilter(config: Pick<LdapBackendConfig, 'attributes' | 'groupsFilter'>, user: GroupFilterInput, now: number): string {
  const dnAttribute = config.attributes.distinguishedName ?? '';
  const memberOfDn = user.memberOf.map((dn) => `(${dnAttribute}=${escapeFilterValue(dn)})`).join('');
  const memberOfRdn = user.memberOf.map((dn) => `(${escapeFilterValue(firstRdn(dn))})`).join('');
  return dateTimes(attributeNames(config.groupsFilter, config), now)
    .replaceAll('{input}', escapeFilterValue(user.input))
    .replaceAll('{username}', escapeFilterValue(user.username))
    .replaceAll('{dn}', escapeFilterValue(user.dn))
    .replaceAll('{memberof:dn}', memberOfDn)
    .replaceAll('{memberof:rdn}', memberOfRdn);
}

/** `cn=admins` of `cn=admins,ou=groups,dc=example,dc=com` (a `\,` inside a value does not end it). */
export function firstRdn(dn: string): string {
  const end = /(?<!\\)(?:\\\\)*,/.exec(dn);
  return end === null ? dn : dn.slice(0, end.index + end[0].length - 1);
}
