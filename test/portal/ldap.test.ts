import { type Logger, pino } from 'pino';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ask, basic } from '../authz/ask.js';
import type { AuthzWorld } from '../authz/fixtures.js';
import { injectListener } from '../helpers/gateway.js';
import { PortalClient, lastCode, startPortal, totpCode } from '../helpers/portal.js';
import { type Slapd, modifyEntry, slapdService, slapdSkipReason, startSlapd } from '../helpers/slapd.js';

const skip = slapdSkipReason();

/** Log lines the gateway wrote (JSON), for the outage messages. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines, messages: () => lines.map((l) => String(l.msg)) };
}

/** The portal world of test/helpers/portal.ts with users from the test slapd instead of a users file. */
async function startLdapPortal(slapd: Slapd, options: { refresh?: string; logger?: Logger; passwords?: boolean } = {}) {
  const world = await startPortal(
    {
      authentication_backend: {
        refresh_interval: options.refresh ?? '5m',
        ...(options.passwords ? {} : { password_reset: { disable: true }, password_change: { disable: true } }),
        ldap: {
          implementation: 'custom',
          address: slapd.url,
          timeout: '2s',
          base_dn: 'dc=example,dc=com',
          users_filter: '(&(|({username_attribute}={input})({mail_attribute}={input}))(objectClass=inetOrgPerson)(!(employeeType=disabled)))',
          groups_filter: '(&(member={dn})(objectClass=groupOfNames))',
          ...slapdService,
        },
      },
      access_control: {
        default_policy: 'deny',
        rules: [
          { domain: 'auth.gatehouse.localhost', policy: 'bypass' },
          { domain: 'admin.gatehouse.localhost', subject: 'group:admins', policy: 'one_factor' },
          { domain: 'app.gatehouse.localhost', policy: 'one_factor' },
          { domain: 'secure.gatehouse.localhost', policy: 'two_factor' },
        ],
      },
    },
    options.logger ? { logger: options.logger } : {},
  );
  return world;
}

const at = (world: { gateway: AuthzWorld['gateway'] }) => world as unknown as AuthzWorld;

describe.skipIf(skip !== undefined)('sign-in with authentication_backend.ldap (a real slapd)', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd();
  }, 30_000);
  afterAll(async () => {
    await slapd?.close();
  });

  it('signs in through the portal; forward-auth sends the directory groups in Remote-Groups', async () => {
    const world = await startLdapPortal(slapd);
    const client = new PortalClient(world.gateway);
    expect((await client.login('john', 'john-secret')).status).toBe(200);
    const reply = await ask(at(world), 'forward-auth', 'https://app.gatehouse.localhost/', { headers: { cookie: client.cookie! } });
    expect([reply.status, reply.headers['remote-user'], reply.headers['remote-groups'], reply.headers['remote-email'], reply.headers['remote-name']]).toEqual([
      200,
      'john',
      'admins,dev',
      'john@example.com',
      'John Doe',
    ]);
    const info = (await client.get('/api/user/info')).json().data;
    expect(info).toMatchObject({ display_name: 'John Doe', emails: ['john@example.com'] });
  });

  it('a subject: group: rule follows the directory groups', async () => {
    const world = await startLdapPortal(slapd);
    const john = new PortalClient(world.gateway);
    await john.login('john', 'john-secret');
    const bob = new PortalClient(world.gateway);
    expect((await bob.login('bob.dylan@example.com', 'password')).status).toBe(200);
    expect((await ask(at(world), 'forward-auth', 'https://admin.gatehouse.localhost/', { headers: { cookie: john.cookie! } })).status).toBe(200);
    expect((await ask(at(world), 'forward-auth', 'https://admin.gatehouse.localhost/', { headers: { cookie: bob.cookie! } })).status).toBe(403);
    const asBob = await ask(at(world), 'forward-auth', 'https://app.gatehouse.localhost/', { headers: { cookie: bob.cookie! } });
    expect([asBob.headers['remote-user'], asBob.headers['remote-groups']]).toEqual(['bob', 'dev']);
  });

  it('a wrong password, an unknown user, a disabled user and an injection attempt get the same generic failure', async () => {
    const world = await startLdapPortal(slapd);
    const answers = [];
    for (const [login, password] of [
      ['john', 'wrong'],
      ['nobody', 'password'],
      ['disabled', 'password'],
      ['*)(uid=*', 'john-secret'],
      ['*', 'john-secret'],
    ] as const) {
      const reply = await new PortalClient(world.gateway).login(login, password);
      answers.push([reply.status, reply.json()]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(401);
  });

  it('HTTP Basic at forward-auth checks the password against the directory; an empty password is never an anonymous bind', async () => {
    const world = await startLdapPortal(slapd);
    const reply = await ask(at(world), 'forward-auth', 'https://app.gatehouse.localhost/', { headers: { authorization: basic('john', 'john-secret') } });
    expect([reply.status, reply.headers['remote-user'], reply.headers['remote-groups']]).toEqual([200, 'john', 'admins,dev']);
    for (const secret of ['', 'wrong']) {
      expect((await ask(at(world), 'forward-auth', 'https://app.gatehouse.localhost/', { headers: { authorization: basic('john', secret) } })).status).not.toBe(
        200,
      );
    }
  });

  it('second factor: an LDAP user enrols TOTP (code sent to the directory e-mail) and reaches two_factor sites', async () => {
    const world = await startLdapPortal(slapd);
    const client = new PortalClient(world.gateway);
    await client.login('john', 'john-secret');
    expect((await client.postJson('/api/secondfactor/totp/identity/start', {})).json().data.sentTo).toBe('j•••@example.com');
    const { secret } = (await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(world.notifications) })).json().data;
    expect((await client.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, world.clock) })).json()).toEqual({ status: 'OK' });
    const reply = await ask(at(world), 'forward-auth', 'https://secure.gatehouse.localhost/', { headers: { cookie: client.cookie! } });
    expect([reply.status, reply.headers['remote-groups']]).toEqual([200, 'admins,dev']);
  });

  it('the directory stopped: sign-in fails closed with a clear log line and /api/health names it; restarted: both recover', async () => {
    const log = captured();
    const world = await startLdapPortal(slapd, { logger: log.logger });
    const health = () => injectListener(world.gateway, { method: 'GET', url: '/api/health', headers: { host: 'auth.gatehouse.localhost' } });
    expect((await health()).statusCode).toBe(200);
    await slapd.stop();
    try {
      const reply = await new PortalClient(world.gateway).login('john', 'john-secret');
      expect(reply.status).toBe(503);
      expect(reply.json()).toEqual({
        status: 'KO',
        message: 'The sign-in cannot be completed right now (the user directory is unavailable); try again shortly.',
      });
      expect(log.messages()).toContain(
        'authentication_backend.ldap is unavailable (cannot connect (ECONNREFUSED)): requests that need it are refused with 503 until it answers',
      );
      world.clock.advance(2_000);
      const down = await health();
      expect(down.statusCode).toBe(503);
      expect(down.json().message).toMatch(/^authentication_backend\.ldap is unavailable since .*: cannot connect \(ECONNREFUSED\)$/);
    } finally {
      await slapd.start();
    }
    expect((await new PortalClient(world.gateway).login('john', 'john-secret')).status).toBe(200);
    expect(log.messages()).toContain('authentication_backend.ldap answers again');
    world.clock.advance(2_000);
    expect((await health()).statusCode).toBe(200);
  });

  it('refresh_interval: a group added in the directory reaches the session; a disabled user loses it; a directory down refuses (503)', async () => {
    const world = await startLdapPortal(slapd, { refresh: '1m' });
    const client = new PortalClient(world.gateway);
    expect((await client.login('harry', 'password')).status).toBe(200);
    const groups = async () => {
      const reply = await ask(at(world), 'forward-auth', 'https://app.gatehouse.localhost/', { headers: { cookie: client.cookie! } });
      return [reply.status, reply.headers['remote-groups']];
    };
    expect(await groups()).toEqual([200, '']);
    const harry = 'uid=harry,ou=people,dc=example,dc=com';
    try {
      await modifyEntry(slapd, 'cn=admins,ou=groups,dc=example,dc=com', 'add', 'member', [harry]);
      // Within the interval the session keeps what it had; once it has passed, the directory is asked again.
      world.clock.advance(30_000);
      expect(await groups()).toEqual([200, '']);
      world.clock.advance(31_000);
      expect(await groups()).toEqual([200, 'admins']);
      await slapd.stop();
      world.clock.advance(61_000);
      try {
        expect((await groups())[0]).toBe(503);
      } finally {
        await slapd.start();
      }
      expect(await groups()).toEqual([200, 'admins']);
      await modifyEntry(slapd, harry, 'add', 'employeeType', ['disabled']);
      world.clock.advance(61_000);
      // Signed out: forward-auth sends the browser to the portal.
      expect((await groups())[0]).toBe(302);
      // The session is gone for good, not only refused once.
      await modifyEntry(slapd, harry, 'delete', 'employeeType', ['disabled']);
      expect((await groups())[0]).toBe(302);
    } finally {
      await modifyEntry(slapd, harry, 'delete', 'employeeType', ['disabled']).catch(() => undefined);
      await modifyEntry(slapd, 'cn=admins,ou=groups,dc=example,dc=com', 'delete', 'member', [harry]).catch(() => undefined);
    }
  });
  it('a signed-in user changes their password in the directory (Password Modify); other sessions end', async () => {
    const world = await startLdapPortal(slapd, { passwords: true });
    const browser = new PortalClient(world.gateway);
    const other = new PortalClient(world.gateway);
    expect((await browser.login('obrien', 'password')).status).toBe(200);
    expect((await other.login('obrien', 'password')).status).toBe(200);
    try {
      expect((await browser.postJson('/api/change-password', { old_password: 'wrong', new_password: 'new-secret-1' })).status).toBe(401);
      const done = await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' });
      expect(done.status).toBe(200);
      expect((await new PortalClient(world.gateway).login('obrien', 'password')).status).toBe(401);
      expect((await new PortalClient(world.gateway).login('obrien', 'new-secret-1')).status).toBe(200);
      expect((await other.get('/api/state')).json().data.username).toBe('');
      expect((await browser.get('/api/state')).json().data.username).toBe('obrien');
    } finally {
      await modifyEntry(slapd, 'cn=O\\,Brien,ou=staff,dc=example,dc=com', 'replace', 'userPassword', ['password']);
    }
  });

  it('"Forgot password?" e-mails a link to the directory address; the new password is written to the directory', async () => {
    const world = await startLdapPortal(slapd, { passwords: true });
    const browser = new PortalClient(world.gateway);
    expect((await browser.get('/')).body).toContain('Forgot password?');
    expect((await browser.postForm('/reset-password', { username: 'bob' })).status).toBe(200);
    const link = await vi.waitFor(() => {
      const text = existsSync(world.notifications) ? readFileSync(world.notifications, 'utf8') : '';
      const found = /^To: bob@example\.com[\s\S]*?^(http\S+\/reset-password\/step2\?token=\S+)$/m.exec(text);
      if (!found) throw new Error('no link yet');
      return found[1]!;
    });
    const token = new URL(link).searchParams.get('token')!;
    try {
      const done = await browser.postForm('/reset-password/step2', { token, password: 'reset-secret-1', confirmation: 'reset-secret-1' });
      expect([done.status, done.body.includes('Password changed')]).toEqual([200, true]);
      expect((await new PortalClient(world.gateway).login('bob', 'password')).status).toBe(401);
      expect((await new PortalClient(world.gateway).login('bob', 'reset-secret-1')).status).toBe(200);
    } finally {
      await modifyEntry(slapd, 'uid=bob,ou=staff,dc=example,dc=com', 'replace', 'userPassword', ['password']);
    }
  });

  it('a directory that refuses the new password: the portal says it is unchanged (500), the old one still works', async () => {
    const world = await startPortal({
      authentication_backend: {
        ldap: {
          implementation: 'rfc2307bis',
          address: slapd.url,
          base_dn: 'dc=example,dc=com',
          // A service account that may read but not write passwords.
          user: 'uid=john,ou=people,dc=example,dc=com',
          password: 'john-secret',
        },
      },
    });
    const browser = new PortalClient(world.gateway);
    expect((await browser.login('harry', 'password')).status).toBe(200);
    const answer = await browser.postJson('/api/change-password', { old_password: 'password', new_password: 'new-secret-1' });
    expect(answer.status).toBe(500);
    expect(answer.json().message).toMatch(/your password is unchanged/);
    expect((await new PortalClient(world.gateway).login('harry', 'password')).status).toBe(200);
  });
});
