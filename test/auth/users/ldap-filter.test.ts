import { describe, expect, it } from 'vitest';
import { escapeFilterValue, firstRdn, groupsFilter, usersFilter } from '../../../src/auth/users/ldap-filter.js';
import { type LdapImplementation, ldapImplementationDefaults } from '../../../src/config/ldap.js';

/** 2026-01-02T03:04:05Z. */
const now = Date.UTC(2026, 0, 2, 3, 4, 5);

/** An implementation's defaults as the backend gets them (attributes and filters). */
function defaults(implementation: LdapImplementation) {
  const d = ldapImplementationDefaults[implementation];
  return {
    usersFilter: d.usersFilter ?? '',
    groupsFilter: d.groupsFilter ?? '',
    attributes: { distinguishedName: undefined, memberOf: undefined, ...d.attributes },
  };
}

const john = { input: 'John', username: 'john', dn: 'uid=john,ou=people,dc=example,dc=com', memberOf: [] };

describe('RFC 4515 escaping', () => {
  it.each([
    ['*', '\\2a'],
    ['*)(uid=*', '\\2a\\29\\28uid=\\2a'],
    ['a\\b', 'a\\5cb'],
    ['nul\0', 'nul\\00'],
    ['Ünïcødé and spaces', 'Ünïcødé and spaces'],
  ])('%j → %j', (value, escaped) => {
    expect(escapeFilterValue(value)).toBe(escaped);
  });

  it('an injection attempt stays one value of one clause', () => {
    const filter = usersFilter(defaults('rfc2307bis'), '*)(uid=*', now);
    expect(filter).toBe('(&(|(uid=\\2a\\29\\28uid=\\2a)(mail=\\2a\\29\\28uid=\\2a))(|(objectClass=inetOrgPerson)(objectClass=organizationalPerson)))');
    expect(filter).not.toContain('*');
  });

  it('{dn} of a DN with an escaped comma is escaped again for the filter', () => {
    const filter = groupsFilter(defaults('freeipa'), { ...john, dn: 'cn=O\\,Brien,ou=staff,dc=example,dc=com' }, now);
    expect(filter).toBe('(&(member=cn=O\\5c,Brien,ou=staff,dc=example,dc=com)(objectClass=groupOfNames))');
  });
});

describe('the filters each implementation sends for login "John" (Authelia defaults)', () => {
  it.each<[LdapImplementation, string, string]>([
    [
      'activedirectory',
      '(&(|(sAMAccountName=John)(mail=John))(sAMAccountType=805306368)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(!(pwdLastSet=0))(|(!(accountExpires=*))(accountExpires=0)(accountExpires>=134117966450000000)))',
      '(&(member=uid=john,ou=people,dc=example,dc=com)(|(sAMAccountType=268435456)(sAMAccountType=536870912)))',
    ],
    [
      'rfc2307bis',
      '(&(|(uid=John)(mail=John))(|(objectClass=inetOrgPerson)(objectClass=organizationalPerson)))',
      '(&(|(member=uid=john,ou=people,dc=example,dc=com)(uniqueMember=uid=john,ou=people,dc=example,dc=com))(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=groupOfMembers)))',
    ],
    [
      'freeipa',
      '(&(|(uid=John)(mail=John))(objectClass=person)(!(nsAccountLock=TRUE))(krbPasswordExpiration>=20260102030405.0Z)(|(!(krbPrincipalExpiration=*))(krbPrincipalExpiration>=20260102030405.0Z)))',
      '(&(member=uid=john,ou=people,dc=example,dc=com)(objectClass=groupOfNames))',
    ],
    ['lldap', '(&(|(uid=John)(mail=John))(objectClass=person))', '(&(member=uid=john,ou=people,dc=example,dc=com)(objectClass=groupOfUniqueNames))'],
    [
      'glauth',
      '(&(|(cn=John)(mail=John))(objectClass=posixAccount)(!(accountStatus=inactive)))',
      '(&(uniqueMember=uid=john,ou=people,dc=example,dc=com)(objectClass=posixGroup))',
    ],
  ])('%s', (implementation, users, groups) => {
    const config = defaults(implementation);
    expect(usersFilter(config, 'John', now)).toBe(users);
    expect(groupsFilter(config, john, now)).toBe(groups);
  });
});

describe('other placeholders', () => {
  const base = {
    attributes: { distinguishedName: 'distinguishedName', username: 'uid', displayName: 'cn', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
  };
  const memberOf = ['cn=admins,ou=groups,dc=example,dc=com', 'cn=a\\,b,ou=groups,dc=example,dc=com'];

  it('{memberof:dn} and {memberof:rdn} expand to one clause per group, escaped', () => {
    expect(groupsFilter({ ...base, groupsFilter: '(|{memberof:dn})' }, { ...john, memberOf }, now)).toBe(
      '(|(distinguishedName=cn=admins,ou=groups,dc=example,dc=com)(distinguishedName=cn=a\\5c,b,ou=groups,dc=example,dc=com))',
    );
    expect(groupsFilter({ ...base, groupsFilter: '(|{memberof:rdn})' }, { ...john, memberOf }, now)).toBe('(|(cn=admins)(cn=a\\5c,b))');
  });

  it('{input}, {username}, {display_name_attribute} and {date-time:unix}', () => {
    expect(groupsFilter({ ...base, groupsFilter: '(|(memberUid={username})(x={input}))' }, { ...john, input: 'J*' }, now)).toBe('(|(memberUid=john)(x=J\\2a))');
    expect(usersFilter({ ...base, usersFilter: '(&({display_name_attribute}={input})(exp>={date-time:unix}))' }, 'x', now)).toBe('(&(cn=x)(exp>=1767323045))');
  });

  it('firstRdn keeps an escaped comma', () => {
    expect(firstRdn('cn=a\\,b,ou=groups')).toBe('cn=a\\,b');
    expect(firstRdn('cn=admins')).toBe('cn=admins');
  });
});
