import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { StartupError } from '../../src/shared/errors.js';
import { AesGcmCipher } from '../../src/storage/cipher.js';
import { openConnection } from '../../src/storage/sqlite/connection.js';
import { listMigrations } from '../../src/storage/sqlite/migrate.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { tempDir } from '../helpers/config.js';

const key = 'a-very-long-test-encryption-key';
const open = (path: string, encryptionKey = key) => SqliteStorage.open({ path, encryptionKey, clock: new ManualClock(), appVersion: 'test' });

describe('SqliteStorage', () => {
  it('creates the folder, uses WAL and records every migration once', async () => {
    const dir = tempDir();
    const path = join(dir, 'nested', 'data', 'db.sqlite3');
    const first = open(path);
    expect(first.applied).toEqual(listMigrations().map((m) => m.version));
    expect(first.db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    await first.close();

    const second = open(path);
    expect(second.applied).toEqual([]);
    const rows = second.db.prepare('SELECT version, name, app_version FROM migrations ORDER BY version').all();
    expect(rows).toEqual(listMigrations().map((m) => ({ version: m.version, name: m.name, app_version: 'test' })));
    await second.close();
  });

  it('numbers migration files without gaps', () => {
    const versions = listMigrations().map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });

  it('refuses another encryption key and leaves the database untouched', async () => {
    const dir = tempDir();
    const path = join(dir, 'db.sqlite3');
    const storage = open(path);
    await storage.sessions.put({ idHash: 'h', username: 'john', data: '{}', createdAt: 1, expiresAt: 2 });
    await storage.close();

    expect(() => open(path, 'another-key-that-is-long-enough')).toThrow(
      new StartupError(
        'GH_STORAGE_KEY_MISMATCH',
        `storage.encryption_key: is not the key the database '${path}' was created with; start with the original key (the database was not changed)`,
      ),
    );
    const reopened = open(path);
    expect(await reopened.sessions.get('h')).toMatchObject({ username: 'john' });
    await reopened.close();
  });

  it('refuses a database from a newer Gatehouse without changing it', async () => {
    const dir = tempDir();
    const path = join(dir, 'db.sqlite3');
    (await open(path)).close();
    const raw = openConnection(path);
    raw.exec("INSERT INTO migrations VALUES (999, 'future', 0, 'x')");
    raw.close();
    expect(() => open(path)).toThrow(/schema version 999, newer than this Gatehouse knows/);
  });

  it('names the folder it cannot create and leaves nothing behind', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const path = join(dir, 'file', 'data', 'db.sqlite3');
    expect(() => open(path)).toThrow(`storage.local.path: cannot create the folder '${join(dir, 'file', 'data')}'`);
    expect(readdirSync(dir)).toEqual(['file']);
  });

  it('removes a new database whose initialisation failed', () => {
    const dir = tempDir();
    const path = join(dir, 'db.sqlite3');
    // A folder where the WAL file must go makes initialisation fail after the file is created.
    const blocker = `${path}-wal`;
    mkdirSync(blocker);
    expect(() => open(path)).toThrow(StartupError);
    expect(existsSync(path)).toBe(false);
  });

  it('deletes expired sessions and sessions by user', async () => {
    const storage = open(':memory:');
    const put = (idHash: string, username: string, expiresAt: number, sid?: string) =>
      storage.sessions.put({ idHash, username, data: JSON.stringify(sid ? { sid } : {}), createdAt: 0, expiresAt });
    await put('a', 'john', 100, 'sid-a');
    await put('b', 'john', 300, 'sid-b');
    await put('c', '', 50);
    await put('d', 'bob', 400);
    // Deleted rows come back with their user and sid: single logout needs them.
    expect(await storage.sessions.deleteExpired(100)).toEqual([
      { idHash: 'a', username: 'john', sid: 'sid-a' },
      { idHash: 'c', username: '', sid: undefined },
    ]);
    expect(await storage.sessions.deleteByUsername('john')).toEqual([{ idHash: 'b', username: 'john', sid: 'sid-b' }]);
    expect(await storage.sessions.deleteByUsername('')).toEqual([]);
    expect(await storage.sessions.get('d')).toBeDefined();
    await storage.close();
  });
});

describe('AesGcmCipher', () => {
  const cipher = new AesGcmCipher(key);

  it('round-trips and never repeats a ciphertext', () => {
    const a = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp:john');
    const b = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp:john');
    expect(a.equals(b)).toBe(false);
    expect(cipher.decrypt(a, 'totp:john').toString()).toBe('JBSWY3DPEHPK3PXP');
    expect(a.includes(Buffer.from('JBSWY3DPEHPK3PXP'))).toBe(false);
  });

  it('refuses a value moved to another row', () => {
    const value = cipher.encrypt('secret', 'totp:john');
    expect(() => cipher.decrypt(value, 'totp:bob')).toThrow('encrypted value for totp:bob cannot be decrypted with this key');
  });

  it('refuses a tampered value and another key', () => {
    const value = cipher.encrypt('secret', 'ctx');
    const tampered = Buffer.from(value);
    tampered[tampered.length - 20]! ^= 1;
    expect(() => cipher.decrypt(tampered, 'ctx')).toThrow(/cannot be decrypted/);
    expect(() => new AesGcmCipher('another-key-that-is-long-enough').decrypt(value, 'ctx')).toThrow(/cannot be decrypted/);
    expect(() => cipher.decrypt(Buffer.from([1, 2, 3]), 'ctx')).toThrow('encrypted value for ctx is malformed');
  });

  it('derives a key check that identifies the key', () => {
    expect(cipher.matchesKeyCheck(new AesGcmCipher(key).keyCheck())).toBe(true);
    expect(cipher.matchesKeyCheck(new AesGcmCipher(`${key}x`).keyCheck())).toBe(false);
    expect(cipher.matchesKeyCheck(Buffer.alloc(3))).toBe(false);
  });
});

describe('openConnection', () => {
  it('prepares each SQL text once and keeps the statement (better-sqlite3 12 on Node 24 aborts when one is collected)', () => {
    const db = openConnection(':memory:');
    expect(db.prepare('SELECT 1 AS one')).toBe(db.prepare('SELECT 1 AS one'));
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    expect(db.prepare('SELECT 2')).not.toBe(db.prepare('SELECT 1 AS one'));
    db.close();
  });
});
