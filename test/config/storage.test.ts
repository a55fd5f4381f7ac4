import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PostgresStorageConfig } from '../../src/config/storage.js';
import { describePostgresAddress } from '../../src/config/storage.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const key = 'a-very-long-test-encryption-key';
const base = minimalRaw('/tmp/gatehouse');
const withPostgres = (postgres: Record<string, unknown>) => ({ ...base, storage: { encryption_key: key, postgres } });
const minimal = { address: 'tcp://db.example.com:5433', database: 'gatehouse', username: 'gh' };
const postgresOf = (postgres: Record<string, unknown>, env: Record<string, string> = {}): PostgresStorageConfig => {
  const storage = configOf(withPostgres(postgres), env).storage;
  if (storage.kind !== 'postgres') throw new Error(`expected storage.postgres, got ${storage.kind}`);
  return storage.postgres;
};

/** A self-signed client certificate and its key (PEM), made by openssl in a fresh folder. */
function clientCertificate(): { chain: string; key: string } {
  const dir = tempDir();
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=gatehouse'].concat([
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]),
    { stdio: 'ignore' },
  );
  return { chain: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

describe('storage: local (SQLite) or postgres', () => {
  it('keeps storage.local the default, unchanged', () => {
    expect(configOf({ ...base, storage: { encryption_key: key } }, {}, '/srv/gh').storage).toEqual({
      encryptionKey: key,
      kind: 'local',
      local: { path: '/srv/gh/data/db.sqlite3' },
    });
    expect(configOf(base).storage).toMatchObject({ kind: 'local', local: { path: '/tmp/gatehouse/db.sqlite3' } });
  });

  it('reads storage.postgres with its defaults', () => {
    expect(configOf(withPostgres(minimal)).storage).toEqual({
      encryptionKey: key,
      kind: 'postgres',
      postgres: {
        address: { kind: 'tcp', host: 'db.example.com', port: 5433 },
        database: 'gatehouse',
        schema: 'public',
        username: 'gh',
        password: undefined,
        timeout: 5000,
        tls: undefined,
      },
    });
  });

  it('reads every key', () => {
    expect(postgresOf({ ...minimal, schema: 'auth_2', password: 'pw', timeout: '10s', tls: {} })).toEqual({
      address: { kind: 'tcp', host: 'db.example.com', port: 5433 },
      database: 'gatehouse',
      schema: 'auth_2',
      username: 'gh',
      password: 'pw',
      timeout: 10_000,
      tls: {
        serverName: 'db.example.com',
        skipVerify: false,
        minimumVersion: 'TLSv1.2',
        maximumVersion: 'TLSv1.3',
        certificateChain: undefined,
        privateKey: undefined,
      },
    });
    const cert = clientCertificate();
    expect(
      postgresOf({
        ...minimal,
        tls: {
          server_name: 'pg.internal',
          skip_verify: true,
          minimum_version: 'TLS1.3',
          maximum_version: 'TLS1.3',
          certificate_chain: cert.chain,
          private_key: cert.key,
        },
      }).tls,
    ).toEqual({
      serverName: 'pg.internal',
      skipVerify: true,
      minimumVersion: 'TLSv1.3',
      maximumVersion: 'TLSv1.3',
      certificateChain: cert.chain,
      privateKey: cert.key,
    });
  });

  it.each<[string, unknown, unknown]>([
    ['a host and a port', 'tcp://10.0.0.5:6432', { kind: 'tcp', host: '10.0.0.5', port: 6432 }],
    ['a host alone (port 5432)', 'tcp://db', { kind: 'tcp', host: 'db', port: 5432 }],
    ['an IPv6 address', 'tcp://[fd00::1]:5432', { kind: 'tcp', host: 'fd00::1', port: 5432 }],
    ['a socket folder (port 5432)', 'unix:///run/postgresql', { kind: 'unix', folder: '/run/postgresql', port: 5432 }],
    ['a socket folder with a trailing slash', 'unix:///run/postgresql/', { kind: 'unix', folder: '/run/postgresql', port: 5432 }],
    ['the socket file, naming the port', 'unix:///tmp/.s.PGSQL.5433', { kind: 'unix', folder: '/tmp', port: 5433 }],
  ])('reads the address: %s', (_name, address, expected) => {
    expect(postgresOf({ ...minimal, address }).address).toEqual(expected);
  });

  it('shows an address the way it is written', () => {
    expect(describePostgresAddress({ kind: 'tcp', host: 'db', port: 5432 })).toBe('tcp://db:5432');
    expect(describePostgresAddress({ kind: 'tcp', host: '::1', port: 5433 })).toBe('tcp://[::1]:5433');
    expect(describePostgresAddress({ kind: 'unix', folder: '/run/postgresql', port: 5432 })).toBe('unix:///run/postgresql');
    expect(describePostgresAddress({ kind: 'unix', folder: '/tmp', port: 5433 })).toBe('unix:///tmp/.s.PGSQL.5433');
  });

  it('reads the password from GATEHOUSE_STORAGE_POSTGRES_PASSWORD and its _FILE form', () => {
    expect(postgresOf(minimal, { GATEHOUSE_STORAGE_POSTGRES_PASSWORD: 'from-env' }).password).toBe('from-env');
    const dir = tempDir();
    writeFileSync(join(dir, 'pw'), 'from-file\n');
    expect(postgresOf(minimal, { GATEHOUSE_STORAGE_POSTGRES_PASSWORD_FILE: join(dir, 'pw') }).password).toBe('from-file');
    expect(problemsOf(withPostgres({ ...minimal, password: 'pw' }), { GATEHOUSE_STORAGE_POSTGRES_PASSWORD: 'x' })).toEqual([
      'storage.postgres.password: must be set in one place only but is set in the configuration file and GATEHOUSE_STORAGE_POSTGRES_PASSWORD',
    ]);
  });

  it('reads the client key from GATEHOUSE_STORAGE_POSTGRES_TLS_PRIVATE_KEY_FILE', () => {
    const cert = clientCertificate();
    const dir = tempDir();
    writeFileSync(join(dir, 'key.pem'), cert.key);
    const tls = postgresOf(
      { ...minimal, tls: { certificate_chain: cert.chain } },
      { GATEHOUSE_STORAGE_POSTGRES_TLS_PRIVATE_KEY_FILE: join(dir, 'key.pem') },
    ).tls;
    expect(tls?.privateKey).toBe(cert.key.replace(/\n$/, ''));
  });
});

describe('storage.postgres: problems, with their exact messages', () => {
  const both = { ...base, storage: { encryption_key: key, local: { path: '/tmp/db.sqlite3' }, postgres: minimal } };
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it.each<[string, unknown, string[]]>([
    [
      'both providers',
      both,
      ["storage: must configure one of 'local' (SQLite), 'postgres' (PostgreSQL), 'mysql' (MySQL/MariaDB) but configures 'local' and 'postgres'"],
    ],
    ['not a mapping', withPostgres('tcp://db' as never), ["storage.postgres: must be a mapping but is 'tcp://db'"]],
    [
      'unknown keys',
      withPostgres({ ...minimal, servers: [{ address: 'tcp://replica:5432' }], usernme: 'x' }),
      [
        'storage.postgres.servers: is an Authelia option that Gatehouse does not support yet (PostgreSQL fail-over servers)',
        "storage.postgres.usernme: is not a known key, did you mean 'username'?",
      ],
    ],
    [
      'the required keys',
      withPostgres({}),
      [
        'storage.postgres.address: must be set but is absent',
        'storage.postgres.database: must be set but is absent',
        'storage.postgres.username: must be set but is absent',
      ],
    ],
    ['an empty database', withPostgres({ ...minimal, database: ' ' }), ['storage.postgres.database: must not be empty']],
    ['a username of the wrong type', withPostgres({ ...minimal, username: 7 }), ['storage.postgres.username: must be a string but is number 7']],
    ...(
      [
        ['a URL scheme', 'postgres://db:5432'],
        ['no host', 'tcp://:5432'],
        ['a port out of range', 'tcp://db:70000'],
        ['port zero', 'tcp://db:0'],
        ['a relative socket folder', 'unix://run/postgresql'],
        ['a bad IPv6 literal', 'tcp://[zz::1]:5432'],
      ] as const
    ).map(([name, address]): [string, unknown, string[]] => [
      `the address: ${name}`,
      withPostgres({ ...minimal, address }),
      [`storage.postgres.address: must be 'tcp://HOST:PORT', 'tcp://HOST' or 'unix:///SOCKET-FOLDER' but is '${address}'`],
    ]),
    ...(['Auth', 'my-schema', '1st', 'pg_catalog', 'a'.repeat(64)] as const).map((schema): [string, unknown, string[]] => [
      `the schema '${schema.slice(0, 10)}'`,
      withPostgres({ ...minimal, schema }),
      [`storage.postgres.schema: must be a lower-case name of letters a-z, digits and '_' (at most 63, not starting with a digit or 'pg_') but is '${schema}'`],
    ]),
    ['an empty schema', withPostgres({ ...minimal, schema: '' }), ['storage.postgres.schema: must not be empty']],
    [
      'a timeout that is no duration',
      withPostgres({ ...minimal, timeout: 'soon' }),
      ["storage.postgres.timeout: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'"],
    ],
    ['a timeout under a second', withPostgres({ ...minimal, timeout: '0s' }), ["storage.postgres.timeout: must be at least 1 seconds but is '0s'"]],
    ['tls that is no mapping', withPostgres({ ...minimal, tls: true }), ['storage.postgres.tls: must be a mapping but is boolean true']],
    [
      'an unknown tls key',
      withPostgres({ ...minimal, tls: { skip_verfy: true } }),
      ["storage.postgres.tls.skip_verfy: is not a known key, did you mean 'skip_verify'?"],
    ],
    [
      'tls over a unix socket',
      withPostgres({ ...minimal, address: 'unix:///run/postgresql', tls: {} }),
      ['storage.postgres.tls: must not be set with a unix socket address (PostgreSQL does not use TLS over a unix socket)'],
    ],
    [
      'skip_verify not a boolean',
      withPostgres({ ...minimal, tls: { skip_verify: 'yes' } }),
      ["storage.postgres.tls.skip_verify: must be true or false but is 'yes'"],
    ],
    [
      'an unknown TLS version',
      withPostgres({ ...minimal, tls: { minimum_version: 'SSL3.0' } }),
      ["storage.postgres.tls.minimum_version: must be one of 'TLS1.0', 'TLS1.1', 'TLS1.2', 'TLS1.3' but is 'SSL3.0'"],
    ],
    [
      'versions the wrong way round',
      withPostgres({ ...minimal, tls: { minimum_version: 'TLS1.3', maximum_version: 'TLS1.2' } }),
      ["storage.postgres.tls.minimum_version: must not be above maximum_version ('TLS1.2') but is 'TLS1.3'"],
    ],
    [
      'a certificate without its key',
      withPostgres({ ...minimal, tls: { certificate_chain: 'x' } }),
      ['storage.postgres.tls.private_key: must be set when certificate_chain is set (mutual TLS needs both) but is absent'],
    ],
    [
      'a key without its certificate',
      withPostgres({ ...minimal, tls: { private_key: 'x' } }),
      ['storage.postgres.tls.certificate_chain: must be set when private_key is set (mutual TLS needs both) but is absent'],
    ],
    [
      'a certificate chain that is no PEM',
      withPostgres({ ...minimal, tls: { certificate_chain: 'x', private_key: otherKey } }),
      ["storage.postgres.tls.certificate_chain: must hold PEM certificates ('-----BEGIN CERTIFICATE-----' …) but cannot be read as one"],
    ],
  ])('%s', (_name, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });

  it('refuses a private key that is no PEM key, or not the certificate’s', () => {
    const cert = clientCertificate();
    expect(problemsOf(withPostgres({ ...minimal, tls: { certificate_chain: cert.chain, private_key: 'nope' } }))).toEqual([
      "storage.postgres.tls.private_key: must be a PEM private key ('-----BEGIN PRIVATE KEY-----' …) but cannot be read as one",
    ]);
    expect(problemsOf(withPostgres({ ...minimal, tls: { certificate_chain: cert.chain, private_key: otherKey } }))).toEqual([
      'storage.postgres.tls.private_key: must be the private key of the first certificate of certificate_chain but is another key',
    ]);
  });

  it('reports every problem of the section at once, with the encryption key’s', () => {
    const problems = problemsOf({ ...base, storage: { encryption_key: 'short', postgres: { address: 'db', schema: 'X', tls: { minimum_version: 1 } } } });
    expect(problems).toEqual([
      'storage.encryption_key: must be at least 20 characters but is 5 characters',
      "storage.postgres.address: must be 'tcp://HOST:PORT', 'tcp://HOST' or 'unix:///SOCKET-FOLDER' but is 'db'",
      'storage.postgres.database: must be set but is absent',
      "storage.postgres.schema: must be a lower-case name of letters a-z, digits and '_' (at most 63, not starting with a digit or 'pg_') but is 'X'",
      'storage.postgres.username: must be set but is absent',
      "storage.postgres.tls.minimum_version: must be one of 'TLS1.0', 'TLS1.1', 'TLS1.2', 'TLS1.3' but is number 1",
    ]);
  });
});
