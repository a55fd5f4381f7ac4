import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MysqlStorageConfig, describeMysqlAddress } from '../../src/config/storage.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const key = 'a-very-long-test-encryption-key';
const base = minimalRaw('/tmp/gatehouse');
const withMysql = (mysql: unknown) => ({ ...base, storage: { encryption_key: key, mysql } });
const minimal = { address: 'tcp://db.example.com:3307', database: 'gatehouse', username: 'gh' };
const mysqlOf = (mysql: Record<string, unknown>, env: Record<string, string> = {}, raw: Record<string, unknown> = {}): MysqlStorageConfig => {
  const storage = configOf({ ...withMysql(mysql), ...raw }, env).storage;
  if (storage.kind !== 'mysql') throw new Error(`expected storage.mysql, got ${storage.kind}`);
  return storage.mysql;
};

/** A self-signed certificate (PEM) written to a fresh folder, for certificates_directory. */
function authorityFolder(): { dir: string; pem: string } {
  const dir = tempDir();
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=db-ca'];
  execFileSync('openssl', [...args, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem')], { stdio: 'ignore' });
  const pem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const certs = tempDir();
  writeFileSync(join(certs, 'ca.pem'), pem);
  return { dir: certs, pem };
}

describe('storage.mysql (MySQL and MariaDB)', () => {
  it('reads storage.mysql with its defaults', () => {
    expect(configOf(withMysql(minimal)).storage).toEqual({
      encryptionKey: key,
      kind: 'mysql',
      mysql: {
        address: { kind: 'tcp', host: 'db.example.com', port: 3307 },
        database: 'gatehouse',
        username: 'gh',
        password: undefined,
        timeout: 5000,
        tls: undefined,
      },
    });
  });

  it('reads every address form Authelia accepts, port 3306 by default', () => {
    expect(mysqlOf({ ...minimal, address: 'tcp://db' }).address).toEqual({ kind: 'tcp', host: 'db', port: 3306 });
    expect(mysqlOf({ ...minimal, address: 'tcp6://[::1]:3310' }).address).toEqual({ kind: 'tcp', host: '::1', port: 3310 });
    expect(mysqlOf({ ...minimal, address: 'unix:///run/mysqld/mysqld.sock' }).address).toEqual({ kind: 'unix', path: '/run/mysqld/mysqld.sock' });
    expect(describeMysqlAddress({ kind: 'tcp', host: '::1', port: 3306 })).toBe('tcp://[::1]:3306');
    expect(describeMysqlAddress({ kind: 'unix', path: '/run/mysqld/mysqld.sock' })).toBe('unix:///run/mysqld/mysqld.sock');
  });

  it('reads the password as a secret, the timeout, and Authelia’s host/port as an address', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const read = mysqlOf({ ...minimal, timeout: '9s' }, { GATEHOUSE_STORAGE_MYSQL_PASSWORD_FILE: join(dir, 'pw') });
    expect(read).toMatchObject({ password: 's3cret', timeout: 9000 });
    expect(mysqlOf({ host: 'legacy', port: 3308, database: 'gatehouse', username: 'gh' }).address).toEqual({ kind: 'tcp', host: 'legacy', port: 3308 });
  });

  it('reads tls with server_name defaulting to the host and trusts certificates_directory', () => {
    const { dir, pem } = authorityFolder();
    const tls = mysqlOf({ ...minimal, tls: { skip_verify: false } }, {}, { certificates_directory: dir }).tls;
    expect(tls).toMatchObject({ serverName: 'db.example.com', skipVerify: false, minimumVersion: 'TLSv1.2', maximumVersion: 'TLSv1.3' });
    expect(tls?.ca?.some((ca) => ca.trim() === pem.trim())).toBe(true);
  });

  it.each<[string, unknown, string[]]>([
    [
      'two providers',
      { ...base, storage: { encryption_key: key, postgres: { address: 'tcp://pg', database: 'd', username: 'u' }, mysql: minimal } },
      ["storage: must configure one of 'local' (SQLite), 'postgres' (PostgreSQL), 'mysql' (MySQL/MariaDB) but configures 'postgres' and 'mysql'"],
    ],
    [
      'local and mysql',
      { ...base, storage: { encryption_key: key, local: { path: '/tmp/x.sqlite3' }, mysql: minimal } },
      ["storage: must configure one of 'local' (SQLite), 'postgres' (PostgreSQL), 'mysql' (MySQL/MariaDB) but configures 'local' and 'mysql'"],
    ],
    ['not a mapping', withMysql('tcp://db'), ["storage.mysql: must be a mapping but is 'tcp://db'"]],
    [
      'the required keys',
      withMysql({}),
      [
        'storage.mysql.address: must be set but is absent',
        'storage.mysql.database: must be set but is absent',
        'storage.mysql.username: must be set but is absent',
      ],
    ],
    ['an unknown key', withMysql({ ...minimal, schema: 'x' }), ['storage.mysql.schema: is not a known key']],
    ...(['mysql://db:3306', 'tcp://:3306', 'tcp://db:70000', 'unix://run/mysqld.sock', 'db'] as const).map((address): [string, unknown, string[]] => [
      `the address '${address}'`,
      withMysql({ ...minimal, address }),
      [`storage.mysql.address: must be 'tcp://HOST:PORT', 'tcp://HOST' or 'unix:///PATH/TO/SOCKET' but is '${address}'`],
    ]),
    ['a timeout under a second', withMysql({ ...minimal, timeout: '0s' }), ["storage.mysql.timeout: must be at least 1 seconds but is '0s'"]],
    [
      'tls over a unix socket',
      withMysql({ ...minimal, address: 'unix:///run/mysqld/mysqld.sock', tls: {} }),
      ['storage.mysql.tls: must not be set with a unix socket address (the connection does not leave the machine)'],
    ],
    [
      'a server_name other than the host',
      withMysql({ ...minimal, tls: { server_name: 'other.example.com' } }),
      ["storage.mysql.tls.server_name: must be the address's host 'db.example.com' (the certificate is checked against it) but is 'other.example.com'"],
    ],
    [
      'a certificate without its key',
      withMysql({ ...minimal, tls: { certificate_chain: 'x' } }),
      ['storage.mysql.tls.private_key: must be set when certificate_chain is set (mutual TLS needs both) but is absent'],
    ],
  ])('refuses %s', (_name, raw, expected) => {
    const problems = problemsOf(raw);
    if (_name === 'an unknown key') expect(problems[0]).toMatch(/^storage\.mysql\.schema: is not a known key/);
    else expect(problems).toEqual(expected);
  });
});
