import { type Socket, createServer } from 'node:net';
import mysql from 'mysql2/promise';
import { afterAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { MysqlStorageConfig } from '../../src/config/storage.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { StartupError } from '../../src/shared/errors.js';
import { MysqlStorage } from '../../src/storage/mysql/open.js';
import { mysqlUnavailability } from '../../src/storage/mysql/unavailable.js';
import { StorageUnavailableError } from '../../src/storage/unavailable.js';
import { dropDatabase, freshDatabase, mysqlQuery, mysqlSkipReason, testMysql, testMysqlConfig } from '../helpers/mysql.js';
import { freePort } from '../helpers/ports.js';
import { startupFailure } from '../helpers/startup.js';

/**
 * What only the MySQL/MariaDB provider has: its connection (errors naming the key to fix), the
 * tables it creates (InnoDB, utf8mb4, exact comparison), a migration failing part-way, and which
 * driver errors mean an outage. The behaviour it shares with SQLite and PostgreSQL is in contract/.
 */
const skip = await mysqlSkipReason();
const key = 'a-very-long-test-encryption-key';
const databases: string[] = [];
afterAll(async () => {
  for (const name of databases) await dropDatabase(name);
});

async function database(): Promise<string> {
  const name = await freshDatabase();
  databases.push(name);
  return name;
}

async function open(config: MysqlStorageConfig): Promise<MysqlStorage> {
  const storage = await MysqlStorage.open({ config, encryptionKey: key, clock: new ManualClock(), appVersion: 'test' });
  onTestFinished(() => storage.close());
  return storage;
}

async function refusal(config: MysqlStorageConfig): Promise<StartupError> {
  return startupFailure(open(config));
}

describe('MysqlStorage: start-up errors name the key to fix', () => {
  beforeEach((ctx) => {
    if (skip) ctx.skip(skip);
  });

  it('names storage.mysql.address and the address when nothing listens there', async () => {
    const port = await freePort();
    const error = await refusal(testMysqlConfig('test', { address: { kind: 'tcp', host: '127.0.0.1', port } }));
    expect([error.code, error.message]).toEqual([
      'GH_STORAGE_CONNECT',
      `storage.mysql.address: cannot connect to 'tcp://127.0.0.1:${port}': nothing accepts connections there (ECONNREFUSED)`,
    ]);
  });

  it('names the address when the server does not answer within the timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const started = performance.now();
    const error = await refusal(testMysqlConfig('test', { address: { kind: 'tcp', host: '127.0.0.1', port }, timeout: 1000 }));
    expect(error.message).toBe(`storage.mysql.address: cannot connect to 'tcp://127.0.0.1:${port}': no answer within 1 seconds (storage.mysql.timeout)`);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('names the socket when there is none', async () => {
    const error = await refusal(testMysqlConfig('test', { address: { kind: 'unix', path: '/nonexistent/mysqld.sock' } }));
    expect(error.message).toBe("storage.mysql.address: cannot connect to 'unix:///nonexistent/mysqld.sock': there is no socket there (ENOENT)");
  });

  it('names storage.mysql.password when the server refuses the login, without the password', async () => {
    const error = await refusal(testMysqlConfig('test', { password: 'not-the-password' }));
    expect(error.message).toMatch(
      /^storage\.mysql\.password: the server at 'tcp:\/\/[^']+' refused the login of '\w+' \(wrong username or password\) \(ER_ACCESS_DENIED_ERROR\)$/,
    );
    expect(error.message).not.toContain('not-the-password');
  });

  it('names storage.mysql.database when it does not exist (Gatehouse creates tables, not the database)', async () => {
    const error = await refusal(testMysqlConfig('gh_test_no_such_database'));
    expect(error.message).toMatch(/^storage\.mysql\.database: the server at '[^']+' has no database 'gh_test_no_such_database' \(ER_BAD_DB_ERROR\)$/);
  });

  it('names storage.mysql.tls when TLS is asked of a server that has none', async (ctx) => {
    const [row] = await mysqlQuery<{ Value: string }>("SHOW VARIABLES LIKE 'have_ssl'");
    if (row?.Value === 'YES') ctx.skip('this server has TLS');
    const tls = {
      serverName: '127.0.0.1',
      skipVerify: false,
      minimumVersion: 'TLSv1.2',
      maximumVersion: 'TLSv1.3',
      certificateChain: undefined,
      privateKey: undefined,
    } as const;
    const error = await refusal(testMysqlConfig(await database(), { tls }));
    expect(error.message).toMatch(
      /^storage\.mysql\.tls: the server at '[^']+' does not accept TLS connections; remove storage\.mysql\.tls or enable TLS on the server$/,
    );
  });

  it('names the migration that failed part-way, and finishes the work at the next start once the cause is gone', async () => {
    const name = await database();
    // Another application's table with a name migration 4 creates.
    await mysqlQuery('CREATE TABLE oidc_grants (id INTEGER)', [], name);
    const error = await refusal(testMysqlConfig(name));
    expect(error.code).toBe('GH_STORAGE_INIT');
    expect(error.message).toMatch(
      new RegExp(
        `^storage\\.mysql: cannot prepare the database at tcp://[^ ]+ database '${name}': migration 4 \\(oidc-grants\\) failed: Table 'oidc_grants' already exists$`,
      ),
    );
    const recorded = await mysqlQuery<{ version: number }>('SELECT version FROM migrations ORDER BY version', [], name);
    expect(recorded.map((r) => r.version)).toEqual([1, 2, 3]);
    await mysqlQuery('DROP TABLE oidc_grants', [], name);
    const storage = await open(testMysqlConfig(name));
    expect(storage.applied).toEqual([4, 5, 6]);
  });
});

describe('MysqlStorage: the tables', () => {
  beforeEach((ctx) => {
    if (skip) ctx.skip(skip);
  });

  it('are InnoDB in utf8mb4 with a binary collation: text compares exactly, as in PostgreSQL and SQLite', async () => {
    const name = await database();
    const storage = await open(testMysqlConfig(name));
    const tables = await mysqlQuery<{ engine: string; collation: string }>(
      'SELECT engine, table_collation AS collation FROM information_schema.tables WHERE table_schema = ?',
      [name],
    );
    expect(new Set(tables.map((t) => `${t.engine} ${t.collation}`))).toEqual(new Set(['InnoDB utf8mb4_bin']));
    const session = { data: '{}', createdAt: 1, expiresAt: 10 };
    await storage.sessions.put({ idHash: 'a', username: 'john', ...session });
    await storage.sessions.put({ idHash: 'b', username: 'John', ...session });
    await storage.sessions.put({ idHash: 'c', username: 'jöhn ✓ 🔑', ...session });
    expect((await storage.sessions.listByUsername('john')).map((s) => s.idHash)).toEqual(['a']);
    expect((await storage.sessions.listByUsername('jöhn ✓ 🔑')).map((s) => s.username)).toEqual(['jöhn ✓ 🔑']);
    expect(await storage.sessions.get('A')).toBeUndefined();
    expect(await storage.totp.recordStep('john', 1, 1)).toBe(true);
    expect(await storage.totp.recordStep('John', 1, 1)).toBe(true);
    expect(await storage.totp.recordStep('john', 1, 1)).toBe(false);
  });

  it('runs every pooled connection in READ COMMITTED with lock waits bounded by the timeout and a known SQL mode', async () => {
    const storage = await open(testMysqlConfig(await database(), { timeout: 3000 }));
    const sessionOf = async () =>
      (
        await storage.pool.query('SELECT @@SESSION.tx_isolation AS isolation, @@SESSION.innodb_lock_wait_timeout AS wait, @@SESSION.sql_mode AS mode')
      )[0] as unknown as {
        isolation: string;
        wait: number;
        mode: string;
      }[];
    // Several connections at once: each new connection of the pool gets the settings.
    const seen = await Promise.all([sessionOf(), sessionOf(), sessionOf()]);
    expect(seen.map((rows) => rows[0])).toEqual(Array(3).fill({ isolation: 'READ-COMMITTED', wait: 3, mode: 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' }));
    // Quotes and backslashes travel as they are (the mode has no NO_BACKSLASH_ESCAPES).
    const tricky = `o'brien\\" --; DROP TABLE sessions`;
    await storage.sessions.put({ idHash: 'q', username: tricky, data: '{}', createdAt: 1, expiresAt: 2 });
    expect((await storage.sessions.listByUsername(tricky)).map((s) => s.username)).toEqual([tricky]);
  });

  it('answers a row held by another transaction for longer than the timeout as unavailable (503), changing nothing', async () => {
    const name = await database();
    const storage = await open(testMysqlConfig(name, { timeout: 1000 }));
    const id = await storage.oneTimeCodes.insert({ username: 'john', intent: 'reset', codeHash: Buffer.from('h'), issuedAt: 1, expiresAt: 100 });
    const holder = await mysql.createConnection({ ...testMysql, database: name });
    onTestFinished(() => holder.end());
    await holder.query('START TRANSACTION');
    await holder.query('SELECT * FROM one_time_code WHERE id = ? FOR UPDATE', [id]);
    const started = performance.now();
    const error = await storage.oneTimeCodes.consume(id, 2).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error).toMatchObject({ status: 503, store: 'storage.mysql', reason: 'no answer within 1 s (storage.mysql.timeout)' });
    await holder.query('ROLLBACK');
    expect(await storage.oneTimeCodes.consume(id, 3)).toBe(true);
    expect(await storage.oneTimeCodes.consume(id, 4)).toBe(false);
  });

  it('refuses a value that does not fit instead of cutting it (strict mode)', async () => {
    const storage = await open(testMysqlConfig(await database()));
    await expect(storage.preferences.setSecondFactorMethod('john', 'x'.repeat(65), 1)).rejects.toThrow(/Data too long/);
    expect(await storage.preferences.secondFactorMethod('john')).toBeUndefined();
  });
});

/** mysql2's and Node.js's errors as they come: a message, maybe a code. */
function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('mysqlUnavailability: which mysql2 failures mean that MySQL cannot answer', () => {
  it.each([
    [driverError('connect ECONNREFUSED 10.0.0.5:3306', 'ECONNREFUSED'), 'connection refused (ECONNREFUSED)'],
    [driverError('read ECONNRESET', 'ECONNRESET'), 'connection reset (ECONNRESET)'],
    [driverError('connect ETIMEDOUT', 'ETIMEDOUT'), 'no answer within 5 s (storage.mysql.timeout) (ETIMEDOUT)'],
    [driverError('Connection lost: The server closed the connection.', 'PROTOCOL_CONNECTION_LOST'), 'connection lost (PROTOCOL_CONNECTION_LOST)'],
    [driverError('Query inactivity timeout', 'PROTOCOL_SEQUENCE_TIMEOUT'), 'no answer within 5 s (storage.mysql.timeout)'],
    [driverError('Lock wait timeout exceeded; try restarting transaction', 'ER_LOCK_WAIT_TIMEOUT'), 'no answer within 5 s (storage.mysql.timeout)'],
    [driverError('Server shutdown in progress', 'ER_SERVER_SHUTDOWN'), 'the server is shutting down (ER_SERVER_SHUTDOWN)'],
    [driverError('Too many connections', 'ER_CON_COUNT_ERROR'), 'too many connections (ER_CON_COUNT_ERROR)'],
    // Thrown once the transaction (or statement) lost its deadlock three times: retried before, then a 503.
    [driverError('Deadlock found when trying to get lock', 'ER_LOCK_DEADLOCK'), "a deadlock with other instances' writes, 3 tries (ER_LOCK_DEADLOCK)"],
    [driverError("Can't add new command when connection is in closed state"), 'connection lost'],
    [new AggregateError([driverError('connect ECONNREFUSED ::1:3306', 'ECONNREFUSED')], ''), 'connection refused (ECONNREFUSED)'],
  ])('%s → %s (no address in the reason)', (error, reason) => {
    expect(mysqlUnavailability(error, 5000)).toBe(reason);
    expect(reason).not.toMatch(/10\.0\.0\.5|::1/);
  });

  it.each([
    driverError("Duplicate entry 'x' for key 'PRIMARY'", 'ER_DUP_ENTRY'),
    driverError("Table 'gatehouse.sessions' doesn't exist", 'ER_NO_SUCH_TABLE'),
    driverError("Data too long for column 'x' at row 1", 'ER_DATA_TOO_LONG'),
    driverError('Pool is closed.'),
    undefined,
  ])('%s is another failure: left as it is', (error) => {
    expect(mysqlUnavailability(error, 5000)).toBeUndefined();
  });
});
