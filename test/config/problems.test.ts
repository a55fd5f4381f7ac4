import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const withSession = (session: Record<string, unknown>) => ({ ...base, session });
const withCookie = (cookie: Record<string, unknown>) =>
  withSession({ cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com', ...cookie }] });

describe('configuration problems: exact messages', () => {
  it.each<[string, unknown, string[]]>([
    ['unknown top-level key with a suggestion', { ...base, sesion: {} }, ["sesion: is not a known key, did you mean 'session'?"]],
    ['unknown key without a close match', { ...base, zzzzzz: 1 }, ['zzzzzz: is not a known key']],
    [
      "an Object built-in's name is an unknown key too",
      { ...base, log: { constructor: 1, toString: 2 } },
      ['log.constructor: is not a known key', 'log.toString: is not a known key'],
    ],
    [
      'server timeouts and connection cap',
      { ...base, server: { timeouts: { read: '0s', write: 'soon', idel: '1m' }, max_connections: 0 } },
      [
        "server.timeouts.idel: is not a known key, did you mean 'idle'?",
        "server.timeouts.read: must be at least 1 seconds but is '0s'",
        "server.timeouts.write: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'",
        'server.max_connections: must be at least 1 but is 0',
      ],
    ],
    ['unknown nested key', { ...base, log: { levle: 'info' } }, ["log.levle: is not a known key, did you mean 'level'?"]],
    ['Authelia-only option', { ...base, duo_api: {} }, ['duo_api: is an Authelia option that Gatehouse does not support yet (Duo push)']],
    ['WebAuthn validated with its key named', { ...base, webauthn: { timeout: 'soon' } }, [expect.stringMatching(/^webauthn\.timeout: /)]],
    ['section of the wrong type', { ...base, server: 'tcp://:9091' }, ["server: must be a mapping but is 'tcp://:9091'"]],
    ['string expected', { ...base, server: { address: 9091 } }, ['server.address: must be a string but is number 9091']],
    [
      'bad listen address',
      { ...base, server: { address: 'http://0.0.0.0:9091' } },
      ["server.address: must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH' but is 'http://0.0.0.0:9091'"],
    ],
    [
      'port out of range',
      { ...base, server: { address: 'tcp://:70000' } },
      ["server.address: must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH' but is 'tcp://:70000'"],
    ],
    [
      'bad trusted proxy',
      { ...base, server: { trusted_proxies: ['10.0.0.0/33', 'localhost'] } },
      [
        "server.trusted_proxies[0]: must be an IP address or a CIDR such as '10.0.0.0/8' but is '10.0.0.0/33'",
        "server.trusted_proxies[1]: must be an IP address or a CIDR such as '10.0.0.0/8' but is 'localhost'",
      ],
    ],
    ['trusted proxies not a list', { ...base, server: { trusted_proxies: '10.0.0.0/8' } }, ["server.trusted_proxies: must be a list but is '10.0.0.0/8'"]],
    [
      'tls missing certificate and missing key file',
      { ...base, server: { tls: { key: '/nonexistent/key.pem' } } },
      ['server.tls.certificate: must be set but is absent', "server.tls.key: must name an existing file but '/nonexistent/key.pem' does not exist"],
    ],
    ['bad log level', { ...base, log: { level: 'verbose' } }, ["log.level: must be one of 'trace', 'debug', 'info', 'warn', 'error' but is 'verbose'"]],
    ['bad log format', { ...base, log: { format: 'xml' } }, ["log.format: must be one of 'text', 'json' but is 'xml'"]],
    [
      'bad duration',
      withSession({ expiration: '1 hr', cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] }),
      ["session.expiration: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is '1 hr'"],
    ],
    [
      'bad remember_me mentions -1',
      withCookie({ remember_me: 'forever' }),
      [
        "session.cookies[0].remember_me: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds, or -1 to disable but is 'forever'",
      ],
    ],
    ['zero inactivity', withCookie({ inactivity: 0 }), ['session.cookies[0].inactivity: must be at least 1 seconds but is number 0']],
    ['bad same_site', withCookie({ same_site: 'relaxed' }), ["session.cookies[0].same_site: must be one of 'lax', 'strict', 'none' but is 'relaxed'"]],
    ['no cookies', withSession({}), ['session.cookies: must list at least one cookie domain but is absent']],
    ['empty cookies', withSession({ cookies: [] }), ['session.cookies: must list at least one cookie domain but is absent']],
    ['cookie domain missing', withSession({ cookies: [{ portal_url: 'https://auth.example.com' }] }), ['session.cookies[0].domain: must be set but is absent']],
    ['wildcard cookie domain', withCookie({ domain: '*.example.com' }), ["session.cookies[0].domain: must not start with '*.' but is '*.example.com'"]],
    [
      'cookie domain without a dot',
      withCookie({ domain: 'intranet' }),
      ["session.cookies[0].domain: must be a domain name containing a dot, such as 'example.com', but is 'intranet'"],
    ],
    [
      'public suffix',
      withSession({ cookies: [{ domain: 'co.uk', portal_url: 'https://auth.co.uk' }] }),
      ["session.cookies[0].domain: must not be a public suffix (cookies for it are refused by browsers) but is 'co.uk'"],
    ],
    [
      'private public suffix',
      withSession({ cookies: [{ domain: 'github.io', portal_url: 'https://auth.github.io' }] }),
      ["session.cookies[0].domain: must not be a public suffix (cookies for it are refused by browsers) but is 'github.io'"],
    ],
    [
      'IP address as cookie domain',
      withSession({ cookies: [{ domain: '192.168.1.10', portal_url: 'https://192.168.1.10' }] }),
      ["session.cookies[0].domain: must be a domain name, not an IP address, but is '192.168.1.10'"],
    ],
    [
      'duplicate and overlapping cookie domains',
      withSession({
        cookies: [
          { domain: 'example.com', portal_url: 'https://auth.example.com' },
          { domain: 'example.com', portal_url: 'https://auth.example.com' },
          { domain: 'apps.example.com', portal_url: 'https://auth.apps.example.com' },
        ],
      }),
      [
        "session.cookies[1].domain: must not repeat 'example.com' but is 'example.com'",
        "session.cookies[2].domain: must not overlap the cookie domain 'example.com' but is 'apps.example.com'",
        "session.cookies[2].domain: must not overlap the cookie domain 'example.com' but is 'apps.example.com'",
      ],
    ],
    ['portal_url missing', withSession({ cookies: [{ domain: 'example.com' }] }), ['session.cookies[0].portal_url: must be set but is absent']],
    [
      'portal_url relative',
      withCookie({ portal_url: '/login' }),
      ["session.cookies[0].portal_url: must be an absolute URL such as 'https://auth.example.com' but is '/login'"],
    ],
    [
      'portal_url over plain http',
      withCookie({ portal_url: 'http://auth.example.com' }),
      ["session.cookies[0].portal_url: must use the scheme 'https' (plain http only for cookie domains under '.localhost') but is 'http://auth.example.com'"],
    ],
    [
      'portal_url outside the cookie domain',
      withCookie({ portal_url: 'https://auth.example.org' }),
      ["session.cookies[0].portal_url: must be on the cookie domain 'example.com' or below it but is 'https://auth.example.org'"],
    ],
    [
      'portal_url look-alike outside the domain',
      withCookie({ portal_url: 'https://auth.notexample.com' }),
      ["session.cookies[0].portal_url: must be on the cookie domain 'example.com' or below it but is 'https://auth.notexample.com'"],
    ],
    [
      'portal_url with credentials',
      withCookie({ portal_url: 'https://user:pw@auth.example.com' }),
      ["session.cookies[0].portal_url: must not contain a user name or password but is 'https://user:pw@auth.example.com'"],
    ],
    [
      'both portal_url and its Authelia alias',
      withCookie({ authelia_url: 'https://auth.example.com' }),
      ["session.cookies[0].authelia_url: is another name for 'portal_url'; set only one of them"],
    ],
    [
      'default_redirection_url equal to the portal',
      withCookie({ default_redirection_url: 'https://auth.example.com' }),
      ["session.cookies[0].default_redirection_url: must differ from portal_url but both are 'https://auth.example.com/'"],
    ],
    [
      'default_redirection_url outside the domain',
      withCookie({ default_redirection_url: 'https://evil.com' }),
      ["session.cookies[0].default_redirection_url: must be on the cookie domain 'example.com' or below it but is 'https://evil.com'"],
    ],
    [
      'Authelia legacy session.domain',
      withSession({ domain: 'example.com', cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] }),
      ["session.domain: is Authelia's legacy form; use session.cookies: [{domain: …, portal_url: …}] instead"],
    ],
    [
      'redis without a session secret',
      withSession({ redis: { host: 'redis' }, cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] }),
      ['session.secret: must be set when session.redis is configured (it encrypts the sessions kept there) but is absent'],
    ],
    ['missing encryption key', { ...base, storage: {} }, ['storage.encryption_key: must be set but is absent']],
    [
      'short encryption key',
      { ...base, storage: { encryption_key: 'too-short' } },
      ['storage.encryption_key: must be at least 20 characters but is 9 characters'],
    ],
    [
      'storage.mysql without its required keys',
      { ...base, storage: { encryption_key: 'a-very-long-test-encryption-key', mysql: { address: 'tcp://db:3306' } } },
      ['storage.mysql.database: must be set but is absent', 'storage.mysql.username: must be set but is absent'],
    ],
  ])('%s', (_name, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });

  it('accepts plain http for a cookie domain under .localhost, and then drops Secure', () => {
    const raw = withSession({ cookies: [{ domain: 'gatehouse.localhost', portal_url: 'http://auth.gatehouse.localhost:9091' }] });
    const [cookie] = configOf(raw).session.cookies;
    expect(cookie?.secure).toBe(false);
    expect(cookie?.portalUrl.href).toBe('http://auth.gatehouse.localhost:9091/');
  });

  it('refuses SameSite=None without Secure', () => {
    const raw = withSession({
      cookies: [{ domain: 'gatehouse.localhost', portal_url: 'http://auth.gatehouse.localhost', same_site: 'none' }],
    });
    expect(problemsOf(raw)).toEqual(["session.cookies[0].same_site: must not be 'none' when portal_url uses plain http (browsers require Secure)"]);
  });

  it('reports every problem of a file at once', () => {
    const problems = problemsOf({
      server: { address: 'nope' },
      log: { level: 'loud' },
      session: { cookies: [{ domain: '*.example.com' }] },
      storage: { encryption_key: 'short' },
      extra: true,
    });
    expect(problems).toHaveLength(6);
  });
});

describe('secrets from the environment', () => {
  const noKey = { ...base, storage: { local: { path: '/tmp/gatehouse/db.sqlite3' } } };

  it('reads GATEHOUSE_<PATH>', () => {
    const config = configOf(noKey, { GATEHOUSE_STORAGE_ENCRYPTION_KEY: 'a-very-long-env-encryption-key' });
    expect(config.storage.encryptionKey).toBe('a-very-long-env-encryption-key');
  });

  it('reads GATEHOUSE_<PATH>_FILE, without the trailing newline, relative to the config folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'key.txt'), 'a-very-long-file-encryption-key\n');
    const { parseConfig } = await import('../../src/config/load.js');
    const { config } = parseConfig(noKey, { env: { GATEHOUSE_STORAGE_ENCRYPTION_KEY_FILE: 'key.txt' }, baseDir: dir });
    expect(config.storage.encryptionKey).toBe('a-very-long-file-encryption-key');
  });

  it('refuses two sources for one secret', () => {
    expect(problemsOf(base, { GATEHOUSE_STORAGE_ENCRYPTION_KEY: 'a-very-long-env-encryption-key' })).toEqual([
      'storage.encryption_key: must be set in one place only but is set in the configuration file and GATEHOUSE_STORAGE_ENCRYPTION_KEY',
    ]);
  });

  it('names an unreadable secret file', () => {
    expect(problemsOf(noKey, { GATEHOUSE_STORAGE_ENCRYPTION_KEY_FILE: '/nonexistent/key' })).toEqual([
      "storage.encryption_key: must be readable from '/nonexistent/key' (GATEHOUSE_STORAGE_ENCRYPTION_KEY_FILE) but there is no such file (ENOENT)",
    ]);
  });

  it('checks a secret from the environment like one from the file', () => {
    expect(problemsOf(noKey, { GATEHOUSE_STORAGE_ENCRYPTION_KEY: 'short' })).toEqual([
      'storage.encryption_key: must be at least 20 characters but is 5 characters',
    ]);
  });

  it('reads the session secret too', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const { config } = parseConfig(base, { env: { GATEHOUSE_SESSION_SECRET: 'from-env' }, baseDir: '/tmp' });
    expect(config.session.secret).toBe('from-env');
  });
});
