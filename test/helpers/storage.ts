import { onTestFinished } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';

/** An in-memory SQLite storage (all migrations applied), closed after the test. */
export function memoryStorage(clock = new ManualClock()): SqliteStorage {
  const storage = SqliteStorage.open({ path: ':memory:', encryptionKey: 'a-very-long-test-encryption-key', clock, appVersion: 'test' });
  onTestFinished(() => storage.close());
  return storage;
}
