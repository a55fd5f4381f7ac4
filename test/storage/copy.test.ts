import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../src/shared/errors.js';
import { TargetNotEmptyError, copyStorage } from '../../src/storage/copy/copy.js';
import { openTableReader } from '../../src/storage/copy/providers.js';
import type { CopiedRow } from '../../src/storage/copy/table-io.js';
import { bookkeepingTables, copiedTables, encryptedValues } from '../../src/storage/copy/tables.js';
import { listMigrations as mysqlMigrations } from '../../src/storage/mysql/migrate.js';
import { listMigrations as postgresMigrations } from '../../src/storage/postgres/migrate.js';
import { signingKeyContext, totpEnrolmentContext, totpSecretContext } from '../../src/storage/rows.js';
import { listMigrations as sqliteMigrations } from '../../src/storage/sqlite/migrate.js';
import type { ColumnCipher, Storage } from '../../src/storage/storage.js';
import { code, event, grant, token } from './contract/oidc-fixtures.js';
import { type StorageBackend, storageBackends, useBackend } from './contract/backends.js';
import { memoryStorage } from '../helpers/storage.js';

const sourceKey = 'the-source-encryption-key-0123';
const targetKey = 'the-target-encryption-key-4567';
const now = 1_700_000_000_000;
const pem = '-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n';

describe('what storage copy knows', () => {
  it('copies every table the migrations create, and keeps migrations and encryption as the target has them', () => {
    // A migration that adds a table fails this until the table is added to copiedTables.
    for (const migrations of [sqliteMigrations(), postgresMigrations(), mysqlMigrations()]) {
      const created = migrations.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((c) => c[1]!));
      expect(new Set([...created, 'migrations'])).toEqual(new Set([...copiedTables, ...bookkeepingTables]));
    }
    expect(new Set(copiedTables).size).toBe(copiedTables.length);
  });

  it('matches the tables of a migrated database', async () => {
    const storage = memoryStorage();
    const tables = storage.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    expect(tables.map((t) => t.name).sort()).toEqual([...copiedTables, ...bookkeepingTables].sort());
  });

  it('names every encrypted value with the associated data the repositories bind it to', () => {
    const row: CopiedRow = { username: 'john', kid: 'k1', data: JSON.stringify({ username: 'john', flows: { totpEnrolment: { sealed: '' } } }) };
    expect(encryptedValues.map((v) => [v.table, v.column, v.context(row)])).toEqual([
      ['totp_configurations', 'secret', totpSecretContext('john')],
      ['oidc_signing_keys', 'private_key', signingKeyContext('k1')],
      ['sessions', 'data', totpEnrolmentContext('john')],
    ]);
    expect([totpSecretContext('john'), signingKeyContext('k1'), totpEnrolmentContext('john')]).toEqual([
      'totp_configurations:secret:john',
      'oidc_signing_keys:private_key:k1',
      'session-flow:totp-enrolment:john',
    ]);
  });

  it('knows what every binary column holds: a new BLOB column fails this until it is classified', () => {
    const storage = memoryStorage();
    const blobs = copiedTables
      .concat(bookkeepingTables as unknown as (typeof copiedTables)[number][])
      .flatMap((table) =>
        (storage.db.prepare('SELECT name, type FROM pragma_table_info(?)').all(table) as { name: string; type: string }[])
          .filter((c) => c.type === 'BLOB')
          .map((c) => `${table}.${c.name}`),
      );
    const encrypted = encryptedValues.filter((v) => v.table !== 'sessions').map((v) => `${v.table}.${v.column}`);
    // Not secrets under the storage key: the key's own check value, a one-time code's hash, and a
    // WebAuthn credential's public key (public by definition, stored as is, as Authelia does).
    const notEncrypted = ['encryption.value', 'one_time_code.code_hash', 'webauthn_credentials.public_key'];
    expect(blobs.sort()).toEqual([...encrypted, ...notEncrypted].sort());
  });
});

/** Fills every table of `s` through its repositories (and one raw sealed session flow). */
async function fill(s: Storage): Promise<void> {
  const sealed = s.cipher.encrypt(JSON.stringify({ secret: 'PENDINGSECRET' }), totpEnrolmentContext('john')).toString('base64');
  await s.sessions.put({ idHash: 'h1', username: 'john', data: JSON.stringify({ username: 'john', flows: {} }), createdAt: 1, expiresAt: now });
  const enrolling = { username: 'john', flows: { totpEnrolment: { verifiedAt: 5, sealed } } };
  await s.sessions.put({ idHash: 'h2', username: 'john', data: JSON.stringify(enrolling), createdAt: 2, expiresAt: now });
  await s.sessions.put({ idHash: 'h3', username: '', data: '{}', createdAt: 3, expiresAt: now });
  const attempt = { time: 10, username: 'john', authType: '1FA', remoteIp: '10.0.0.1', requestUri: 'https://a/', requestMethod: 'GET' };
  await s.authLogs.append({ ...attempt, successful: true, banned: false });
  await s.authLogs.append({ ...attempt, successful: false, banned: false });
  await s.authLogs.append({ ...attempt, successful: false, banned: true });
  await s.bans.banUser('bob', { time: 20, expires: undefined, source: 'regulation', reason: 'too many failures' });
  await s.bans.banUser('eve', { time: 21, expires: now, source: 'cli', reason: '' });
  await s.bans.revokeUser('eve', 22);
  await s.bans.banIp('10.0.0.9', { time: 23, expires: now, source: 'regulation', reason: 'x' });
  await s.totp.save({
    username: 'john',
    issuer: 'Gatehouse',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Buffer.from('john-totp-secret-2024'),
    createdAt: 30,
    lastUsedAt: undefined,
  });
  await s.totp.save({
    username: 'jane',
    issuer: 'Gatehouse',
    algorithm: 'SHA256',
    digits: 8,
    period: 60,
    secret: Buffer.from('jane-totp-secret-2024'),
    createdAt: 31,
    lastUsedAt: 32,
  });
  await s.totp.recordStep('john', 56_666_666, 40);
  await s.webauthn.userHandle('john', 'example.com', () => 'handle-john', 41);
  await s.webauthn.add({
    username: 'john',
    rpId: 'example.com',
    credentialId: 'cred-john',
    description: 'Key ✓',
    publicKey: Buffer.from([0xa5, 1, 2, 3, 0, 255]),
    signCount: 7,
    transports: ['usb', 'internal'],
    aaguid: '00000000-0000-0000-0000-000000000000',
    discoverable: true,
    backupEligible: true,
    backedUp: false,
    createdAt: 42,
    lastUsedAt: 43,
  });
  await s.preferences.setSecondFactorMethod('john', 'webauthn', 44);
  await s.oneTimeCodes.insert({ username: 'john', intent: 'totp-enrolment', codeHash: Buffer.from([1, 2, 3, 0, 255]), issuedAt: 50, expiresAt: now });
  await s.oidc.addSigningKey({ kid: 'k1', algorithm: 'RS256', privateKey: pem, createdAt: 60 });
  await s.oidc.addSigningKey({ kid: 'k2', algorithm: 'ES256', privateKey: pem.replace('fake', 'other'), createdAt: 61, activatesAt: 70, retiresAt: now });
  await s.oidc.subjectFor('john', '', () => 'sub-john', 62);
  await s.oidc.savePending({
    idHash: 'p1',
    clientId: 'app',
    parameters: { scope: 'openid', state: 'é ✓' },
    loginAfter: undefined,
    consent: { username: 'john', granted: true },
    createdAt: 63,
    expiresAt: now,
  });
  await s.oidc.saveGrant(grant({ expiresAt: now, sid: 'sid-1' }));
  await s.oidc.saveCode(code({ expiresAt: now }));
  await s.oidc.consumeCode('c1', 64);
  await s.oidc.saveToken(token({ expiresAt: now }));
  await s.oidc.saveToken(token({ tokenHash: 'a1', kind: 'access', format: 'jwt', audience: ['app', 'api'], expiresAt: now }));
  await s.oidc.rotateRefreshToken('r1', 65, 'r2');
  await s.oidc.saveConsent('john', 'app', ['openid', 'email'], 66, now);
  await s.oidc.recordJti('app', 'jti-hash', now, 67);
  await s.oidc.audit(event({ time: 68 }));
  await s.oidc.enqueueLogout({
    clientId: 'app',
    uri: 'https://app/bc',
    issuer: 'https://auth',
    subject: 'sub-john',
    sid: 'sid-1',
    jti: 'j1',
    reason: 'logout',
    nextAttemptAt: 69,
    expiresAt: now,
    createdAt: 69,
  });
}

/** A cipher that "encrypts" to the plaintext: recoding into it reveals what a value holds. */
const reveal: ColumnCipher = { encrypt: (plaintext) => Buffer.from(plaintext), decrypt: (value) => value };

/** Every row of every copied table, comparable across providers: flags as 0/1, blobs in hex, encrypted values decrypted. */
async function contents(s: Storage): Promise<Record<string, string[]>> {
  const reader = await openTableReader(s);
  try {
    const out: Record<string, string[]> = {};
    for (const table of copiedTables) {
      const columns = await reader.columns(table);
      const rows: string[] = [];
      for await (const batch of reader.rows(table, columns, 100)) {
        for (const row of batch) {
          for (const value of encryptedValues.filter((v) => v.table === table)) {
            const plain = value.recode({ ...row }, s.cipher, reveal);
            if (plain !== undefined) row[value.column] = plain;
          }
          const entries = Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v]);
          rows.push(JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => String(a).localeCompare(String(b))))));
        }
      }
      out[table] = rows.sort();
    }
    return out;
  } finally {
    await reader.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<GatehouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatehouseError)) throw error instanceof Error ? error : new Error(`expected a GatehouseError, got ${String(error)}`);
  return error;
}

const pairs: [StorageBackend, StorageBackend][] = storageBackends.flatMap((a) => storageBackends.map((b): [StorageBackend, StorageBackend] => [a, b]));

describe.each(pairs)('storage copy from %s to %s', (from, to) => {
  const source = useBackend(from);
  const target = useBackend(to);
  const name = (b: StorageBackend) => b.name;
  const stores = async () => {
    const a = await source.freshStore().open({ encryptionKey: sourceKey });
    const b = await target.freshStore().open({ encryptionKey: targetKey });
    return { a, b };
  };

  it(`copies every row of every table, re-encrypting the secrets under the target's key (${name(from)} → ${name(to)})`, async () => {
    const { a, b } = await stores();
    await fill(a);
    const report = await copyStorage(a, b, { force: false, batchSize: 2 });
    const expected = await contents(a);
    expect(await contents(b)).toEqual(expected);
    // Nothing is left empty by fill(): each table was really copied.
    expect(report.tables.filter((t) => t.rows === 0)).toEqual([]);
    expect(report.tables).toEqual(copiedTables.map((table) => ({ table, rows: expected[table]!.length })));
    expect(report).toMatchObject({ schemaVersion: sqliteMigrations().length, emptied: [], ignored: [] });
    expect(report.reencrypted).toEqual([
      { what: 'TOTP secrets', values: 2 },
      { what: 'OpenID Connect signing keys', values: 2 },
      { what: 'TOTP enrolments in progress', values: 1 },
    ]);

    // The target's repositories read what the source's wrote, under the target's key.
    expect((await b.totp.get('john'))?.secret.toString()).toBe('john-totp-secret-2024');
    expect((await b.totp.get('jane'))?.lastUsedAt).toBe(32);
    expect((await b.oidc.signingKeys()).map((k) => [k.kid, k.privateKey, k.activatesAt, k.retiresAt])).toEqual([
      ['k1', pem, undefined, undefined],
      ['k2', pem.replace('fake', 'other'), 70, now],
    ]);
    const enrolling = JSON.parse((await b.sessions.get('h2'))!.data) as { flows: { totpEnrolment: { sealed: string } } };
    expect(b.cipher.decrypt(Buffer.from(enrolling.flows.totpEnrolment.sealed, 'base64'), totpEnrolmentContext('john')).toString()).toBe(
      '{"secret":"PENDINGSECRET"}',
    );
    expect(() => a.cipher.decrypt(Buffer.from(enrolling.flows.totpEnrolment.sealed, 'base64'), totpEnrolmentContext('john'))).toThrow();
    expect(await b.bans.activeUserBan('bob', now - 1)).toMatchObject({ source: 'regulation', revoked: false, expires: undefined });
    expect(await b.bans.activeUserBan('eve', 30)).toBeUndefined();
    expect(await b.authLogs.recentByUser('john', '1FA', 0, 10)).toHaveLength(2);
    expect(await b.oidc.findToken('r1')).toMatchObject({ rotatedAt: 65, successorHash: 'r2' });
    expect(await b.oidc.hasConsent('john', 'app', ['email', 'openid'], now - 1)).toBe(true);
    expect(await b.oidc.recordJti('app', 'jti-hash', now, 70)).toBe(false);
    expect(await b.totp.recordStep('john', 56_666_666, 71)).toBe(false);
    expect((await b.oidc.consumeCode('c1', 72))?.firstUse).toBe(false);

    // New rows get ids after the copied ones.
    await b.authLogs.append({
      time: 99,
      successful: true,
      banned: false,
      username: 'new',
      authType: '1FA',
      remoteIp: '::1',
      requestUri: '',
      requestMethod: '',
    });
    await b.bans.banIp('10.0.0.10', { time: 99, expires: undefined, source: 'cli', reason: '' });
    expect(await b.oneTimeCodes.insert({ username: 'jane', intent: 'x', codeHash: Buffer.from('h'), issuedAt: 99, expiresAt: now })).toBe(2);
    const id = await b.oidc.enqueueLogout({
      clientId: 'app',
      uri: 'u',
      issuer: 'i',
      subject: 's',
      sid: '',
      jti: 'j2',
      reason: 'r',
      nextAttemptAt: 1,
      expiresAt: now,
      createdAt: 1,
    });
    expect(id).toBe(2);
  });

  it(`refuses a target that holds a row without --force, naming it, and leaves it unchanged (${name(from)} → ${name(to)})`, async () => {
    const { a, b } = await stores();
    await fill(a);
    await b.bans.banIp('192.0.2.1', { time: 1, expires: undefined, source: 'cli', reason: 'kept' });
    await b.sessions.put({ idHash: 'mine', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
    const before = await contents(b);
    const error = await refusal(copyStorage(a, b, { force: false }));
    expect(error).toBeInstanceOf(TargetNotEmptyError);
    expect([error.code, error.message]).toEqual([
      'GH_STORAGE_COPY_TARGET_NOT_EMPTY',
      'the target is not empty: it holds 1 row in sessions, 1 row in banned_ip',
    ]);
    expect((error as TargetNotEmptyError).tables).toEqual([
      { table: 'sessions', rows: 1 },
      { table: 'banned_ip', rows: 1 },
    ]);
    expect(await contents(b)).toEqual(before);
  });

  it(`empties the target first with force, and only then copies (${name(from)} → ${name(to)})`, async () => {
    const { a, b } = await stores();
    await fill(a);
    await b.sessions.put({ idHash: 'mine', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
    await b.sessions.put({ idHash: 'h1', username: 'clash', data: '{}', createdAt: 1, expiresAt: now });
    const report = await copyStorage(a, b, { force: true });
    expect(report.emptied).toEqual([{ table: 'sessions', rows: 2 }]);
    expect(await contents(b)).toEqual(await contents(a));
    expect(await b.sessions.get('mine')).toBeUndefined();
  });

  it(`writes nothing when a row cannot be copied: all or nothing, even after emptying (${name(from)} → ${name(to)})`, async () => {
    const { a, b } = await stores();
    await fill(a);
    // A secret bound to another user no longer decrypts (its associated data differs).
    await execOn(a, "UPDATE totp_configurations SET username = 'mallory' WHERE username = 'jane'");
    await b.sessions.put({ idHash: 'mine', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
    const before = await contents(b);
    const error = await refusal(copyStorage(a, b, { force: true, batchSize: 1 }));
    expect(error.code).toBe('GH_STORAGE_COPY');
    expect(error.message).toBe(
      "the source's totp_configurations.secret (totp_configurations:secret:mallory) cannot be decrypted with the source's storage.encryption_key: " +
        'encrypted value for totp_configurations:secret:mallory cannot be decrypted with this key',
    );
    expect(await contents(b)).toEqual(before);
    // Both stores are usable afterwards (no transaction left open).
    await b.sessions.put({ idHash: 'after', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
    await a.sessions.put({ idHash: 'after', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
  });

  it(`refuses stores whose columns differ, and leaves other applications' tables alone (${name(from)} → ${name(to)})`, async () => {
    const { a, b } = await stores();
    await execOn(a, 'CREATE TABLE other_app (id INTEGER)');
    await execOn(a, 'INSERT INTO other_app VALUES (1)');
    await a.sessions.put({ idHash: 'h', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
    expect((await copyStorage(a, b, { force: false })).ignored).toEqual(['other_app']);

    const c = await target.freshStore().open({ encryptionKey: targetKey });
    await execOn(c, "ALTER TABLE sessions ADD COLUMN extra TEXT NOT NULL DEFAULT ''");
    const error = await refusal(copyStorage(a, c, { force: false }));
    expect([error.code, error.message]).toEqual(['GH_STORAGE_COPY', 'the columns of sessions differ: extra only in the target']);
    expect(await c.sessions.get('h')).toBeUndefined();

    await execOn(c, 'ALTER TABLE sessions DROP COLUMN extra');
    await execOn(c, "INSERT INTO migrations (version, name, applied_at, app_version) VALUES (99, 'future', 0, 'test')");
    const version = await refusal(copyStorage(a, c, { force: false }));
    expect(version.message).toBe(`the source is at schema version ${sqliteMigrations().length} and the target at 99; both must be at the same version`);
  });
});

describe('storage copy from SQLite into PostgreSQL', () => {
  const sqlite = useBackend(storageBackends[0]!);
  const postgres = useBackend(storageBackends[1]!);

  it('stops with what it was doing when the target refuses a row (a NUL in a text, which SQLite allows), leaving the target unchanged', async () => {
    const a = await sqlite.freshStore().open({ encryptionKey: sourceKey });
    const b = await postgres.freshStore().open({ encryptionKey: targetKey });
    await fill(a);
    await execOn(a, "UPDATE sessions SET data = 'a' || char(0) || 'b' WHERE id_hash = 'h3'");
    await b.sessions.put({ idHash: 'mine', username: 'x', data: '{}', createdAt: 1, expiresAt: now });
    const before = await contents(b);
    const error = await refusal(copyStorage(a, b, { force: true }));
    expect([error.code, error.message]).toEqual([
      'GH_STORAGE_COPY',
      'failed while writing sessions to the target: invalid byte sequence for encoding "UTF8": 0x00',
    ]);
    expect(await contents(b)).toEqual(before);
  });
});

describe.each(storageBackends)('reading a store for the copy ($name)', (backend) => {
  const db = useBackend(backend);

  it('reads in batches of at most the batch size, every table from one snapshot', async () => {
    const store = db.freshStore();
    const s = await store.open();
    const other = await store.open();
    for (let i = 0; i < 5; i++) await s.sessions.put({ idHash: `h${i}`, username: 'u', data: '{}', createdAt: i, expiresAt: now });
    const reader = await openTableReader(s);
    try {
      const sizes: number[] = [];
      for await (const batch of reader.rows('sessions', ['id_hash', 'created_at'], 2)) {
        sizes.push(batch.length);
        // Written by another instance while the copy reads: not in the snapshot, whatever table.
        if (sizes.length === 1) await other.bans.banIp('192.0.2.7', { time: 1, expires: undefined, source: 'cli', reason: '' });
      }
      expect(sizes).toEqual([2, 2, 1]);
      const bans = [];
      for await (const batch of reader.rows('banned_ip', ['ip'], 2)) bans.push(...batch);
      expect(bans).toEqual([]);
    } finally {
      await reader.close();
    }
    expect(await s.bans.activeIpBan('192.0.2.7', 2)).toBeDefined();
  });
});

/** Runs SQL on an opened store's own connection (the copy's tests change rows behind the repositories). */
async function execOn(s: Storage, sql: string): Promise<void> {
  const handle = s as unknown as { db?: { exec(sql: string): void }; pool?: { query(sql: string): Promise<unknown> } };
  if (s.provider === 'sqlite') handle.db!.exec(sql);
  else await handle.pool!.query(sql);
}
