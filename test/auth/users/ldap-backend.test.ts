import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryPasswordWriteError, LdapUserBackend } from '../../../src/auth/users/ldap-backend.js';
import { LdapSessionRefresh } from '../../../src/auth/users/ldap-refresh.js';
import type { LdapBackendConfig } from '../../../src/config/ldap.js';
import type { SessionState } from '../../../src/session/session.js';
import { StoreUnavailableError } from '../../../src/shared/store-unavailable.js';
import { type Slapd, modifyEntry, slapdSkipReason, startSlapd } from '../../helpers/slapd.js';
import { configOf, minimalRaw } from '../../helpers/config.js';

const skip = slapdSkipReason();

/** `authentication_backend.ldap` read through the configuration reader, as the gateway gets it. */
function ldapConfig(url: string, ldap: Record<string, unknown>): LdapBackendConfig {
  const raw = minimalRaw('/tmp/gh-ldap', {
    authentication_backend: {
      ldap: {
        address: url,
        base_dn: 'dc=example,dc=com',
        user: 'cn=gatehouse,ou=people,dc=example,dc=com',
        password: 'service-secret',
        timeout: '2s',
        ...ldap,
      },
      password_reset: { disable: true },
      password_change: { disable: true },
    },
  });
  return configOf(raw).authenticationBackend!.ldap!;
}

/** The tests' custom setup: users in both OUs, disabled users (employeeType=disabled) excluded, groupOfNames groups. */
const custom = {
  implementation: 'custom',
  users_filter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=inetOrgPerson)(!(employeeType=disabled)))',
  groups_filter: '(&(member={dn})(objectClass=groupOfNames))',
};

function logger() {
  const lines: { level: string; details: object; message: string }[] = [];
  const at = (level: string) => (details: object, message: string) => lines.push({ level, details, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

const clock = { now: () => Date.now() };

describe.skipIf(skip !== undefined)('LDAP user backend against a real slapd', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd();
  }, 30_000);
  afterAll(async () => {
    await slapd?.close();
  });

  describe("implementation 'custom'", () => {
    it('checks a password by binding as the user, with groups, display name and e-mails', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      const user = await backend.checkPassword('john', 'john-secret');
      expect(user).toEqual({ username: 'john', displayName: 'John Doe', emails: ['john@example.com'], groups: ['admins', 'dev'], profile: {} });
      expect(await backend.checkPassword('john', 'wrong')).toBeUndefined();
      expect(await backend.checkPassword('nobody', 'password')).toBeUndefined();
    });

    it('finds users in both OUs, by username or e-mail, any case, and returns the canonical username', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      expect((await backend.find('bob'))?.emails).toEqual(['bob@example.com', 'bob.dylan@example.com']);
      expect((await backend.checkPassword('BOB.DYLAN@example.com', 'password'))?.username).toBe('bob');
      expect((await backend.find('JOHN'))?.username).toBe('john');
      // get() is exact: a session's username, never an address or another case.
      expect(await backend.get('JOHN')).toBeUndefined();
      expect(await backend.get('bob@example.com')).toBeUndefined();
      expect((await backend.get('bob'))?.groups).toEqual(['dev']);
    });

    it('a user whose DN has an escaped comma signs in and has their groups ({dn} escaped in the filter)', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      const user = await backend.checkPassword('obrien', 'password');
      expect(user).toMatchObject({ username: 'obrien', displayName: "Pat O'Brien", groups: ['dev'] });
    });

    it('a disabled user (excluded by users_filter) and an empty password are refused', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      expect(await backend.find('disabled')).toBeUndefined();
      expect(await backend.checkPassword('disabled', 'password')).toBeUndefined();
      // An empty password would be an unauthenticated bind, which LDAP servers accept.
      expect(await backend.checkPassword('john', '')).toBeUndefined();
    });

    it('a user without the mail attribute signs in with no e-mail', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      expect(await backend.checkPassword('nomail', 'password')).toMatchObject({ username: 'nomail', emails: [], displayName: 'nomail' });
    });

    it('nested groups are not expanded: only direct membership counts (as in Authelia)', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      expect((await backend.get('bob'))?.groups).not.toContain('everyone');
    });

    it('an injection attempt in the username does not widen the search (RFC 4515 escaping)', async () => {
      const log = logger();
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock, logger: log });
      for (const login of ['*', '*)(uid=*', 'john)(|(uid=*', 'j*', '*)(objectClass=*))(|(uid=*', 'john\\', '\0']) {
        expect(await backend.find(login), login).toBeUndefined();
        expect(await backend.checkPassword(login, 'john-secret'), login).toBeUndefined();
      }
      // Without escaping, '*' would match every user and be refused as ambiguous: nothing was logged.
      expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('two entries for one login: refused, with a clear log line', async () => {
      const log = logger();
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock, logger: log });
      expect(await backend.checkPassword('twin', 'password')).toBeUndefined();
      expect(log.lines.find((l) => l.level === 'error')?.message).toMatch(/returned 2 entries for one login; the sign-in is refused/);
    });

    it('a refused service account fails closed (StoreUnavailableError naming the reason)', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, { ...custom, password: 'wrong' }), clock });
      const error = await backend.checkPassword('john', 'john-secret').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).reason).toBe('the directory refuses the service account (user, password)');
      expect(backend.health.availability.outage?.reason).toBe('the directory refuses the service account (user, password)');
    });

    it('the directory stopped: sign-in fails closed, health reports it; restarted: it recovers', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      const lost: string[] = [];
      const back: number[] = [];
      backend.health.availability.listen({ lost: (o) => lost.push(o.reason), back: () => back.push(1) });
      await slapd.stop();
      try {
        const error = await backend.checkPassword('john', 'john-secret').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
        expect(lost).toEqual(['cannot connect (ECONNREFUSED)']);
        await expect(backend.health.probe()).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await slapd.start();
      }
      expect((await backend.checkPassword('john', 'john-secret'))?.username).toBe('john');
      expect(back).toEqual([1]);
      await expect(backend.health.probe()).resolves.toBeUndefined();
    });

    it('a directory that does not answer in time fails closed (timeout)', async () => {
      const { createServer } = await import('node:net');
      const silent = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as { port: number }).port;
      try {
        const backend = new LdapUserBackend({ config: ldapConfig(`ldap://127.0.0.1:${port}`, { ...custom, timeout: '300ms' }), clock });
        const error = await backend.find('john').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).reason).toMatch(/timeout/);
      } finally {
        silent.close();
      }
    });
  });

  describe("implementation 'rfc2307bis' (its default filters: groupOfNames and groupOfUniqueNames)", () => {
    it('signs in with the defaults and reads member and uniqueMember groups', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, { implementation: 'rfc2307bis' }), clock });
      expect(await backend.checkPassword('harry', 'password')).toMatchObject({ username: 'harry', displayName: 'Harry Potter', groups: ['ops'] });
      expect((await backend.get('bob'))?.groups.toSorted()).toEqual(['dev', 'ops']);
    });

    it("group_search_mode 'memberof' reads the groups the entry's memberOf names ({memberof:rdn})", async () => {
      const config = ldapConfig(slapd.url, {
        implementation: 'rfc2307bis',
        group_search_mode: 'memberof',
        groups_filter: '(&(|{memberof:rdn})(objectClass=groupOfNames))',
      });
      const backend = new LdapUserBackend({ config, clock });
      expect((await backend.get('john'))?.groups.toSorted()).toEqual(['admins', 'dev']);
      expect((await backend.get('harry'))?.groups).toEqual([]);
    });

    it('additional_users_dn limits the search to one OU', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, { implementation: 'rfc2307bis', additional_users_dn: 'ou=staff' }), clock });
      expect(await backend.find('john')).toBeUndefined();
      expect((await backend.find('bob'))?.username).toBe('bob');
    });
  });

  describe('password writes (Password Modify, RFC 3062)', () => {
    it('sets a password as the service account: the new one binds, the old one no longer does', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      expect(backend.writesPasswords).toBe(true);
      try {
        await backend.setPassword('obrien', 'a-new-secret');
        expect((await backend.checkPassword('obrien', 'a-new-secret'))?.username).toBe('obrien');
        expect(await backend.checkPassword('obrien', 'password')).toBeUndefined();
      } finally {
        await backend.setPassword('obrien', 'password');
      }
    });

    it('a service account without write access: refused with DirectoryPasswordWriteError and a log line, nothing changed', async () => {
      const log = logger();
      const config = ldapConfig(slapd.url, { ...custom, user: 'uid=bob,ou=staff,dc=example,dc=com', password: 'password' });
      const backend = new LdapUserBackend({ config, clock, logger: log });
      const error = await backend.setPassword('harry', 'another-secret').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryPasswordWriteError);
      expect((error as DirectoryPasswordWriteError).message).toMatch(
        /^cannot change the password of 'harry' in the directory \(authentication_backend\.ldap\): the directory refused it \(InsufficientAccessError/,
      );
      expect(log.lines.find((l) => l.level === 'error')?.message).toMatch(/the new password of 'harry' was not written/);
      expect((await backend.checkPassword('harry', 'password'))?.username).toBe('harry');
    });

    it('an unknown or disabled user is refused; a login that is only an e-mail address is not a username', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      for (const username of ['nobody', 'disabled', 'harry@example.com']) {
        await expect(backend.setPassword(username, 'x-secret-1')).rejects.toBeInstanceOf(DirectoryPasswordWriteError);
      }
    });

    it('Active Directory (unicodePwd) is not written yet', () => {
      expect(new LdapUserBackend({ config: ldapConfig(slapd.url, { implementation: 'activedirectory' }), clock }).writesPasswords).toBe(false);
    });
  });

  describe('session refresh', () => {
    function session(username: string, groups: string[], refreshedAt: number): SessionState {
      return { username, displayName: 'x', emails: [], groups, refreshedAt } as unknown as SessionState;
    }

    it('a group changed in the directory reaches the session at the next refresh; a disabled user loses it', async () => {
      const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
      const refresh = new LdapSessionRefresh({ lookup: (u) => backend.lookup(u), interval: 60_000 });
      const state = session('harry', [], 1_000);
      expect(refresh.due(state, 30_000)).toBe(false);
      expect(refresh.due(state, 61_000)).toBe(true);
      const harry = 'uid=harry,ou=people,dc=example,dc=com';
      try {
        await modifyEntry(slapd, 'cn=admins,ou=groups,dc=example,dc=com', 'add', 'member', [harry]);
        expect(await refresh.check(state, 61_000)).toBe('updated');
        expect(state.groups).toEqual(['admins']);
        expect(state.displayName).toBe('Harry Potter');
        expect(state.refreshedAt).toBe(61_000);
        await modifyEntry(slapd, harry, 'add', 'employeeType', ['disabled']);
        expect(await refresh.check(state, 122_000)).toBe('ended');
      } finally {
        await modifyEntry(slapd, harry, 'delete', 'employeeType', ['disabled']).catch(() => undefined);
        await modifyEntry(slapd, 'cn=admins,ou=groups,dc=example,dc=com', 'delete', 'member', [harry]).catch(() => undefined);
      }
    });
  });
});

describe.skipIf(skip !== undefined)('LDAP: an unknown login costs a bind too (its answer time does not tell which logins exist)', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd({ stats: true });
  }, 30_000);
  afterAll(async () => {
    await slapd?.close();
  });

  const binds = () => [...slapd.output().matchAll(/BIND dn="([^"]*)" method=128/g)].map((m) => m[1]!);

  it('binds once for a known login (as the user) and once for an unknown one (as an entry that cannot exist), after the service search', async () => {
    const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
    const before = binds().length;
    expect(await backend.checkPassword('john', 'wrong')).toBeUndefined();
    const known = binds().slice(before);
    expect(known.filter((dn) => dn.startsWith('cn=gatehouse,'))).toHaveLength(1);
    expect(known.filter((dn) => !dn.startsWith('cn=gatehouse,'))).toEqual([expect.stringMatching(/^uid=john,/i)]);
    const middle = binds().length;
    expect(await backend.checkPassword('nobody-here', 'wrong')).toBeUndefined();
    const unknown = binds().slice(middle);
    expect(unknown.filter((dn) => dn.startsWith('cn=gatehouse,'))).toHaveLength(1);
    expect(unknown.filter((dn) => !dn.startsWith('cn=gatehouse,'))).toEqual([
      expect.stringMatching(/^cn=gatehouse-no-such-user-[0-9a-f]{16},dc=example,dc=com$/),
    ]);
    // The decoy's refusal is expected: the directory is not reported down.
    expect(await backend.checkPassword('john', 'john-secret')).toBeDefined();
  });

  it('never binds with an empty password, known login or not', async () => {
    const backend = new LdapUserBackend({ config: ldapConfig(slapd.url, custom), clock });
    const before = binds().length;
    await backend.checkPassword('john', '');
    await backend.checkPassword('nobody-here', '');
    expect(
      binds()
        .slice(before)
        .filter((dn) => !dn.startsWith('cn=gatehouse,')),
    ).toEqual([]);
  });
});
