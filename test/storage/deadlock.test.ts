import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { conflictAttempts } from '../../src/storage/conflict.js';
import { type Db, run as mysqlRun, rows as mysqlRows, transaction as mysqlTransaction } from '../../src/storage/mysql/db.js';
import { RetryingPool, rows as pgRows, transaction as pgTransaction } from '../../src/storage/postgres/db.js';
import { dropDatabase, freshDatabase, mysqlQuery, mysqlSkipReason, testMysql } from '../helpers/mysql.js';
import { dropSchema, freshSchemaName, postgresSkipReason, query, testPostgres } from '../helpers/postgres.js';

/**
 * Two instances writing the same rows in opposite orders deadlock; the database rolls one
 * transaction back. Gatehouse runs the victim again (a few times at most) instead of answering
 * 500: each test makes a real deadlock on the real server, with Gatehouse's transaction the victim.
 */
const mysqlSkip = await mysqlSkipReason();
const postgresSkip = await postgresSkipReason();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe.skipIf(mysqlSkip)('MySQL/MariaDB: a transaction that loses a deadlock is run again', () => {
  async function table(): Promise<{ database: string; db: Db; other: mysql.Connection }> {
    const database = await freshDatabase();
    cleanups.push(() => dropDatabase(database));
    const values = Array.from({ length: 50 }, (_, i) => `(${i + 1}, 0)`).join(', ');
    await mysqlQuery(`CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB; INSERT INTO t VALUES ${values}`, [], database);
    const pool = mysql.createPool({ ...testMysql, database, connectionLimit: 2 });
    const other = await mysql.createConnection({ ...testMysql, database });
    onTestFinished(async () => {
      await other.end();
      await pool.end();
    });
    // A statement may wait for a lock up to 15 s (a loaded machine), not the default 5.
    return { database, db: { on: pool, timeout: 15_000 }, other };
  }

  it('InnoDB picks the lighter transaction, Gatehouse runs it again, and its writes land once', async () => {
    const { db, other } = await table();
    let attempts = 0;
    let otherCommitted: Promise<unknown> = Promise.resolve();
    const result = await mysqlTransaction(db, async (sql) => {
      attempts += 1;
      await mysqlRun(sql, 'UPDATE t SET v = v + 1 WHERE id = 1');
      if (attempts === 1) {
        // The other side changes 49 rows (heavier, so not the victim), then wants row 1.
        await other.query('START TRANSACTION');
        await other.query('UPDATE t SET v = v + 10 WHERE id >= 2');
        otherCommitted = other.query('UPDATE t SET v = v + 10 WHERE id = 1').then(() => other.query('COMMIT'));
      }
      await mysqlRun(sql, 'UPDATE t SET v = v + 1 WHERE id = 2');
      return 'committed';
    });
    await otherCommitted;
    expect(result).toBe('committed');
    expect(attempts).toBe(2);
    const found = await mysqlRows<{ id: number; v: number }>(db, 'SELECT id, v FROM t WHERE id IN (1, 2, 3) ORDER BY id');
    expect(found.map((r) => r.v)).toEqual([11, 11, 10]);
  });

  it('a statement on the pool (a transaction of its own) that loses a deadlock is run again', async () => {
    // The first attempt is answered as a deadlock's victim is (errno 1213, the statement rolled
    // back), by the pool itself; the attempts after it reach the server. (A real single-statement
    // deadlock depends on which side InnoDB picks: the transaction test above makes a real one.)
    const { db } = await table();
    const pool = db.on;
    let calls = 0;
    const losing = new Proxy(pool, {
      get(target, name, receiver) {
        if (name !== 'query') return Reflect.get(target, name, receiver);
        return (...args: Parameters<typeof pool.query>) => {
          calls += 1;
          if (calls === 1) {
            const error = Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
              errno: 1213,
              code: 'ER_LOCK_DEADLOCK',
            });
            return Promise.reject(error);
          }
          return target.query(...args);
        };
      },
    });
    const header = await mysqlRun({ on: losing, timeout: db.timeout }, 'UPDATE t SET v = v + 1 WHERE id IN (1, 3)');
    expect(header.affectedRows).toBe(2);
    expect(calls).toBe(2);
    const found = await mysqlRows<{ v: number }>(db, 'SELECT v FROM t WHERE id IN (1, 2, 3) ORDER BY id');
    expect(found.map((r) => r.v)).toEqual([1, 0, 1]);
  });

  it(`gives up after ${conflictAttempts} deadlocks, with the deadlock's error`, async () => {
    const { db } = await table();
    let attempts = 0;
    const failure = await mysqlTransaction(db, async () => {
      attempts += 1;
      throw Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });
    }).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('ER_LOCK_DEADLOCK');
    expect(attempts).toBe(conflictAttempts);
  });

  it('another failure is not retried', async () => {
    const { db } = await table();
    let attempts = 0;
    const failure = await mysqlTransaction(db, async (sql) => {
      attempts += 1;
      await mysqlRun(sql, 'INSERT INTO t (id, v) VALUES (1, 0)');
    }).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('ER_DUP_ENTRY');
    expect(attempts).toBe(1);
  });
});

describe.skipIf(postgresSkip)('PostgreSQL: a transaction that loses a deadlock is run again', () => {
  async function table(deadlockTimeout = '20ms'): Promise<{ pool: RetryingPool; other: pg.Client; otherPid: number }> {
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(schema));
    await query(`CREATE SCHEMA ${schema}`);
    await query(`CREATE TABLE ${schema}.t (id INT PRIMARY KEY, v INT NOT NULL)`);
    await query(`INSERT INTO ${schema}.t SELECT i, 0 FROM generate_series(1, 3) i`);
    // The deadlock check runs in the session that has waited deadlock_timeout: Gatehouse's soon, the other's late.
    const pool = new RetryingPool({ ...testPostgres, max: 2, options: `-c search_path=${schema} -c deadlock_timeout=${deadlockTimeout}` });
    const other = new pg.Client({ ...testPostgres, options: `-c search_path=${schema} -c deadlock_timeout=60s` });
    await other.connect();
    onTestFinished(async () => {
      await other.end();
      await pool.end();
    });
    const [{ pid }] = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    return { pool, other, otherPid: pid };
  }

  /** Resolves once session `pid` waits for a lock (pg_stat_activity), asking the server again until it does. */
  async function waitingForLock(pool: RetryingPool, pid: number): Promise<void> {
    for (;;) {
      const found = await pgRows<{ waiting: boolean }>(pool, "SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1", [pid]);
      if (found[0]?.waiting) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('PostgreSQL aborts the session that finds the cycle, Gatehouse runs it again, and its writes land once', async () => {
    const { pool, other, otherPid } = await table();
    let attempts = 0;
    let otherCommitted: Promise<unknown> = Promise.resolve();
    const result = await pgTransaction(pool, async (sql) => {
      attempts += 1;
      await sql.query('UPDATE t SET v = v + 1 WHERE id = 1');
      if (attempts === 1) {
        await other.query('BEGIN');
        await other.query('UPDATE t SET v = v + 10 WHERE id = 2');
        otherCommitted = other.query('UPDATE t SET v = v + 10 WHERE id = 1').then(() => other.query('COMMIT'));
        await waitingForLock(pool, otherPid);
      }
      await sql.query('UPDATE t SET v = v + 1 WHERE id = 2');
      return 'committed';
    });
    await otherCommitted;
    expect(result).toBe('committed');
    expect(attempts).toBe(2);
    expect((await pgRows<{ v: number }>(pool, 'SELECT v FROM t ORDER BY id')).map((r) => r.v)).toEqual([11, 11, 0]);
  });

  it('a statement on the pool (a transaction of its own) that loses a deadlock is run again', async () => {
    // deadlock_timeout 1 s here: the other side's request is sent as soon as the statement waits, well within it.
    const { pool, other } = await table('1s');
    await other.query('BEGIN');
    await other.query('UPDATE t SET v = v + 10 WHERE id = 3');
    // Locks row 1, then waits for row 3, which the other side holds.
    const statement = pool.query('UPDATE t SET v = v + 1 WHERE id IN (1, 3)');
    await waitingForLock(pool, await pidRunning(pool, 'UPDATE t SET v = v + 1 WHERE id IN'));
    const otherCommitted = other.query('UPDATE t SET v = v + 10 WHERE id = 1').then(() => other.query('COMMIT'));
    expect((await statement).rowCount).toBe(2);
    await otherCommitted;
    expect((await pgRows<{ v: number }>(pool, 'SELECT v FROM t ORDER BY id')).map((r) => r.v)).toEqual([11, 0, 11]);
  });
});

/** The pid of the session running a statement that starts with `prefix`, once it runs. */
async function pidRunning(pool: RetryingPool, prefix: string): Promise<number> {
  for (;;) {
    const found = await pgRows<{ pid: number }>(pool, 'SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`${prefix}%`]);
    if (found[0]) return found[0].pid;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
