import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';
import { makeAuthority } from '../helpers/test-authority.js';

const service = { user: 'cn=gatehouse,dc=example,dc=com', password: 'secret' };
const off = { password_reset: { disable: true }, password_change: { disable: true } };

function raw(ldap: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return minimalRaw('/tmp/gh-ldap', {
    authentication_backend: { ldap: { address: 'ldap://ldap.example.com', base_dn: 'dc=example,dc=com', ...service, ...ldap }, ...off },
    ...extra,
  });
}

const ldapOf = (ldap: Record<string, unknown>, extra?: Record<string, unknown>) => configOf(raw(ldap, extra)).authenticationBackend!.ldap!;

describe('authentication_backend.ldap: per-implementation defaults (Authelia 4.39)', () => {
  it.each([
    [
      'activedirectory',
      {
        usersBaseDn: 'dc=example,dc=com',
        attributes: {
          distinguishedName: 'distinguishedName',
          username: 'sAMAccountName',
          displayName: 'displayName',
          mail: 'mail',
          memberOf: 'memberOf',
          groupName: 'cn',
        },
        usersFilter:
          '(&(|({username_attribute}={input})({mail_attribute}={input}))(sAMAccountType=805306368)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(!(pwdLastSet=0))(|(!(accountExpires=*))(accountExpires=0)(accountExpires>={date-time:microsoft-nt})))',
        groupsFilter: '(&(member={dn})(|(sAMAccountType=268435456)(sAMAccountType=536870912)))',
      },
    ],
    [
      'rfc2307bis',
      {
        attributes: { distinguishedName: undefined, username: 'uid', displayName: 'displayName', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
        usersFilter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(|(objectClass=inetOrgPerson)(objectClass=organizationalPerson)))',
        groupsFilter: '(&(|(member={dn})(uniqueMember={dn}))(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=groupOfMembers)))',
      },
    ],
    [
      'freeipa',
      {
        attributes: { distinguishedName: undefined, username: 'uid', displayName: 'displayName', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
        usersFilter:
          '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=person)(!(nsAccountLock=TRUE))(krbPasswordExpiration>={date-time:generalized})(|(!(krbPrincipalExpiration=*))(krbPrincipalExpiration>={date-time:generalized})))',
        groupsFilter: '(&(member={dn})(objectClass=groupOfNames))',
      },
    ],
    [
      'lldap',
      {
        usersBaseDn: 'OU=people,dc=example,dc=com',
        groupsBaseDn: 'OU=groups,dc=example,dc=com',
        attributes: { distinguishedName: undefined, username: 'uid', displayName: 'cn', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
        usersFilter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=person))',
        groupsFilter: '(&(member={dn})(objectClass=groupOfUniqueNames))',
      },
    ],
    [
      'glauth',
      {
        attributes: { distinguishedName: undefined, username: 'cn', displayName: 'description', mail: 'mail', memberOf: 'memberOf', groupName: 'cn' },
        usersFilter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=posixAccount)(!(accountStatus=inactive)))',
        groupsFilter: '(&(uniqueMember={dn})(objectClass=posixGroup))',
      },
    ],
  ])('%s', (implementation, expected) => {
    const ldap = ldapOf({ implementation });
    expect(ldap).toMatchObject({ implementation, groupSearchMode: 'filter', timeout: 5000, ...expected });
  });

  it('custom: uid, displayName, mail, cn; the filters must be given', () => {
    expect(problemsOf(raw({}))).toEqual([
      "authentication_backend.ldap.users_filter: must be set with implementation 'custom' but is absent",
      "authentication_backend.ldap.groups_filter: must be set with implementation 'custom' but is absent",
    ]);
    const ldap = ldapOf({ users_filter: '(uid={input})', groups_filter: '(member={dn})' });
    expect(ldap.attributes).toEqual({
      distinguishedName: undefined,
      username: 'uid',
      displayName: 'displayName',
      mail: 'mail',
      memberOf: undefined,
      groupName: 'cn',
    });
    expect(ldap).toMatchObject({
      url: 'ldap://ldap.example.com:389',
      startTls: false,
      tls: undefined,
      permitReferrals: false,
      pooling: { enable: false, count: 5, retries: 2, timeout: 10_000 },
    });
  });

  it('given values override the defaults; additional DNs are prefixed to base_dn', () => {
    const ldap = ldapOf({
      implementation: 'lldap',
      additional_users_dn: 'ou=staff',
      users_filter: '(&({username_attribute}={input})(objectClass=person))',
      attributes: { username: 'cn', display_name: 'displayName' },
      timeout: '2s',
    });
    expect(ldap).toMatchObject({ usersBaseDn: 'ou=staff,dc=example,dc=com', groupsBaseDn: 'OU=groups,dc=example,dc=com', timeout: 2000 });
    expect(ldap.attributes).toMatchObject({ username: 'cn', displayName: 'displayName', mail: 'mail' });
  });
});

describe('authentication_backend.ldap: validation', () => {
  const rfc = { implementation: 'rfc2307bis' };

  it.each([
    ['ldaps with its port', 'ldaps://ldap.example.com', 'ldaps://ldap.example.com:636'],
    ['an explicit port', 'ldap://10.0.0.1:3890', 'ldap://10.0.0.1:3890'],
    ['IPv6', 'ldap://[::1]', 'ldap://[::1]:389'],
    ['a unix socket', 'ldapi:///run/slapd/ldapi', 'ldapi://%2Frun%2Fslapd%2Fldapi'],
  ])('address: %s', (_name, address, url) => {
    expect(ldapOf({ ...rfc, address }).url).toBe(url);
  });

  it.each([
    ['a scheme other than ldap', { address: 'http://ldap.example.com' }, /^authentication_backend\.ldap\.address: must be an address such as/],
    ['a path', { address: 'ldap://ldap.example.com/dc=example' }, /^authentication_backend\.ldap\.address: must be an address/],
    ['no address', { address: undefined }, /^authentication_backend\.ldap\.address: must be set but is absent$/],
    ['no base_dn', { base_dn: undefined }, /^authentication_backend\.ldap\.base_dn: must be set but is absent$/],
    ['an unknown implementation', { implementation: 'openldap' }, /^authentication_backend\.ldap\.implementation: must be one of/],
    [
      'start_tls with ldaps',
      { address: 'ldaps://ldap.example.com', start_tls: true },
      /^authentication_backend\.ldap\.start_tls: must be false with an 'ldaps:\/\/' address/,
    ],
    ['users_filter without {input}', { users_filter: '(uid=john)' }, /^authentication_backend\.ldap\.users_filter: must contain the placeholder '\{input\}'/],
    [
      'the former {0}',
      { users_filter: '(&(uid={0})(cn={input}))' },
      /^authentication_backend\.ldap\.users_filter: must use '\{input\}' rather than the former placeholder '\{0\}'$/,
    ],
    [
      'a filter without parentheses',
      { groups_filter: 'member={dn}' },
      /^authentication_backend\.ldap\.groups_filter: must be an LDAP filter wrapped in parentheses/,
    ],
    [
      'memberof without its placeholder',
      { group_search_mode: 'memberof' },
      /^authentication_backend\.ldap\.groups_filter: must contain '\{memberof:dn\}' or '\{memberof:rdn\}'/,
    ],
    [
      '{memberof:dn} without distinguished_name',
      { group_search_mode: 'memberof', groups_filter: '(|{memberof:dn})' },
      /^authentication_backend\.ldap\.attributes\.distinguished_name: must be set when groups_filter contains '\{memberof:dn\}'/,
    ],
    [
      'no service password',
      { password: undefined },
      /^authentication_backend\.ldap\.password: must be set \(the service account that searches the directory\) but is absent/,
    ],
    [
      'an unauthenticated bind with a password',
      { permit_unauthenticated_bind: true },
      /^authentication_backend\.ldap\.password: must not be set with permit_unauthenticated_bind: true$/,
    ],
    [
      'an unknown attribute key',
      { attributes: { usrname: 'uid' } },
      /^authentication_backend\.ldap\.attributes\.usrname: is not a known key, did you mean 'username'\?$/,
    ],
    [
      'profile attributes (not read yet)',
      { attributes: { given_name: 'givenName' } },
      /^authentication_backend\.ldap\.attributes\.given_name: is an Authelia option that Gatehouse does not support yet/,
    ],
  ])('refused: %s', (_name, ldap, message) => {
    const problems = problemsOf(raw({ ...rfc, ...ldap }));
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('an unauthenticated bind is accepted only when permitted, without a password', () => {
    const ldap = ldapOf({ ...rfc, user: undefined, password: undefined, permit_unauthenticated_bind: true });
    expect(ldap).toMatchObject({ permitUnauthenticatedBind: true, user: undefined, password: undefined });
    expect(problemsOf(raw({ ...rfc, user: undefined, password: undefined }))).toEqual([
      'authentication_backend.ldap.user: must be set (the service account that searches the directory) but is absent; an unauthenticated bind needs permit_unauthenticated_bind: true',
      'authentication_backend.ldap.password: must be set (the service account that searches the directory) but is absent; an unauthenticated bind needs permit_unauthenticated_bind: true',
    ]);
  });

  it("Authelia's former names are read under the current ones, with a warning", () => {
    const doc = raw({ ...rfc, address: undefined, url: 'ldap://old.example.com', username_attribute: 'cn' });
    const { config, warnings } = parseConfig(doc, { env: {}, baseDir: '/tmp' });
    expect(config.authenticationBackend?.ldap).toMatchObject({ url: 'ldap://old.example.com:389', attributes: { username: 'cn' } });
    expect(warnings.filter((w) => w.startsWith('authentication_backend.ldap.'))).toHaveLength(2);
  });

  it('the service password comes from a secret variable too', () => {
    const config = configOf(raw({ ...rfc, password: undefined }), { AUTHELIA_AUTHENTICATION_BACKEND_LDAP_PASSWORD: 'from-env' });
    expect(config.authenticationBackend?.ldap?.password).toBe('from-env');
  });

  it('file and ldap are mutually exclusive', () => {
    const doc = raw(rfc);
    (doc.authentication_backend as Record<string, unknown>).file = { path: '/etc/hosts' };
    expect(problemsOf(doc)).toEqual(["authentication_backend: must have one of 'file' and 'ldap' but has both"]);
  });

  it('password reset and change left on: written through the directory, except with Active Directory (a warning each)', () => {
    const doc = (implementation: string) =>
      minimalRaw('/tmp/gh-ldap', {
        authentication_backend: { ldap: { address: 'ldap://ldap.example.com', base_dn: 'dc=example,dc=com', ...service, implementation } },
      });
    expect(parseConfig(doc('rfc2307bis'), { env: {}, baseDir: '/tmp' }).warnings).toEqual([]);
    expect(parseConfig(doc('activedirectory'), { env: {}, baseDir: '/tmp' }).warnings).toEqual([
      'authentication_backend.password_reset: is not available with authentication_backend.ldap implementation \'activedirectory\' in this version of Gatehouse (unicodePwd is not written yet): the "Forgot password?" link is off; set disable: true or a custom_url',
      "authentication_backend.password_change: is not available with authentication_backend.ldap implementation 'activedirectory' in this version of Gatehouse (unicodePwd is not written yet): the settings page offers no password change; set disable: true",
    ]);
  });

  it('ldaps and StartTLS trust certificates_directory; tls.server_name defaults to the host', () => {
    const dir = tempDir();
    const certs = join(dir, 'certs');
    mkdirSync(certs);
    const { ca } = makeAuthority(dir);
    writeFileSync(join(certs, 'ca.pem'), ca);
    for (const ldap of [{ address: 'ldaps://ldap.example.com' }, { address: 'ldap://ldap.example.com', start_tls: true }]) {
      const config = ldapOf({ ...rfc, ...ldap }, { certificates_directory: certs });
      expect(config.tls?.ca).toContain(ca.trim());
      expect(config.tls).toMatchObject({ serverName: 'ldap.example.com', minimumVersion: 'TLSv1.2', skipVerify: false });
    }
    expect(ldapOf({ ...rfc, address: 'ldap://ldap.example.com' }, { certificates_directory: certs }).tls).toBeUndefined();
  });
});
