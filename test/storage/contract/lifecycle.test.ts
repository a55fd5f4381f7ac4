import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../../src/oidc/keys.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { describeMysqlAddress, describePostgresAddress } from '../../../src/config/storage.js';
import { listMigrations as mysqlMigrations } from '../../../src/storage/mysql/migrate.js';
import { listMigrations as postgresMigrations } from '../../../src/storage/postgres/migrate.js';
import { listMigrations as sqliteMigrations } from '../../../src/storage/sqlite/migrate.js';
import { type Store, storageBackends, useBackend } from './backends.js';
import { startupFailure } from '../../helpers/startup.js';

const otherKey = 'another-key-that-is-long-enough';
const versions = sqliteMigrations().map((m) => m.version);

/** The message a store opened with another encryption key is refused with. */
function keyMismatch(store: Store): string {
  const c = store.config;
  const database =
    c.kind === 'local'
      ? `'${c.local.path}'`
      : c.kind === 'mysql'
        ? `'${c.mysql.database}' (at ${describeMysqlAddress(c.mysql.address)})`
        : `'${c.postgres.database}' (schema '${c.postgres.schema}' at ${describePostgresAddress(c.postgres.address)})`;
  return `storage.encryption_key: is not the key the database ${database} was created with; start with the original key (the database was not changed)`;
}

describe('migrations', () => {
  it('are numbered without gaps, with the same numbers and names for every provider', () => {
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    expect(postgresMigrations().map((m) => [m.version, m.name])).toEqual(sqliteMigrations().map((m) => [m.version, m.name]));
    expect(mysqlMigrations().map((m) => [m.version, m.name])).toEqual(sqliteMigrations().map((m) => [m.version, m.name]));
  });
});

describe.each(storageBackends)('opening a store ($name)', (backend) => {
  const db = useBackend(backend);

  it('applies every migration at the first start and none at the next', async () => {
    const store = db.freshStore();
    const first = await store.open();
    expect(first.applied).toEqual(versions);
    await first.close();
    const second = await store.open();
    expect(second.applied).toEqual([]);
    expect(second.provider).toBe(backend.name);
  });

  it('refuses another encryption key and leaves the data untouched', async () => {
    const store = db.freshStore();
    const storage = await store.open();
    await storage.sessions.put({ idHash: 'h', username: 'john', data: '{}', createdAt: 1, expiresAt: 2 });
    await storage.close();
    const error = await startupFailure(store.open({ encryptionKey: otherKey }));
    expect([error.code, error.message]).toEqual(['GH_STORAGE_KEY_MISMATCH', keyMismatch(store)]);
    expect(await (await store.open()).sessions.get('h')).toMatchObject({ username: 'john' });
  });

  it('refuses a database from a newer Gatehouse without changing it', async () => {
    const store = db.freshStore();
    await (await store.open()).close();
    await store.exec("INSERT INTO migrations VALUES (999, 'future', 0, 'x')");
    const error = await startupFailure(store.open());
    expect(error.code).toBe('GH_STORAGE_INIT');
    expect(error.message).toMatch(/the database is at schema version 999, newer than this Gatehouse knows \(6\); upgrade Gatehouse$/);
  });

  it('migrates once when instances start together on a new store', async () => {
    const store = db.freshStore();
    const started = await Promise.all([1, 2, 3, 4].map(() => store.open()));
    expect(started.flatMap((s) => s.applied).sort((a, b) => a - b)).toEqual(versions);
    await started[0]!.sessions.put({ idHash: 'h', username: 'john', data: '{}', createdAt: 1, expiresAt: 2 });
    expect(await started[3]!.sessions.get('h')).toBeDefined();
  });

  it('lets only the first key in when instances with different keys start together on a new store', async () => {
    const store = db.freshStore();
    const results = await Promise.allSettled([store.open(), store.open({ encryptionKey: otherKey })]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'GH_STORAGE_KEY_MISMATCH' });
  });

  it('gives instances starting together one signing key set', async () => {
    const store = await db.store();
    const clock = new ManualClock();
    const instances = await Promise.all([store.open(), store.open(), store.open()]);
    const keys = await Promise.all(instances.map((s) => KeyStore.load([], s.oidc, clock, ['ES256'])));
    const published = keys.map((k) =>
      k
        .jwks()
        .keys.map((key) => key.kid)
        .sort(),
    );
    expect(published[0]).toHaveLength(2);
    expect(published[1]).toEqual(published[0]);
    expect(published[2]).toEqual(published[0]);
    expect(keys.map((k) => k.signer('RS256').kid)).toEqual(Array(3).fill(keys[0]!.signer('RS256').kid));
    expect(await instances[0]!.oidc.signingKeys()).toHaveLength(2);
  });
});
