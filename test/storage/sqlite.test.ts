import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** What only the SQLite provider has (its file, WAL, clean-up); the shared behaviour is in contract/. */
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

describe('opening the database of a running gateway', () => {
  it('waits for the write lock another process holds, instead of failing with "database is locked" once it commits', async () => {
    const path = join(tempDir(), 'db.sqlite3');
    (await open(path)).close();
    // Another connection (a worker thread: opening blocks this one) takes the write lock, writes, holds it 300 ms, commits.
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const Database = require(workerData.module);
       const db = new Database(workerData.path);
       db.exec('BEGIN IMMEDIATE');
       db.exec('CREATE TABLE another_process_wrote (x)');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { path, module: createRequire(import.meta.url).resolve('better-sqlite3') } },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const storage = await open(path);
    storage.close();
    await new Promise((resolve) => worker.once('exit', resolve));
  });
});
