/**
 * What the kill left in the stores, read beside Gatehouse before it restarts: the engine's own
 * consistency check (SQLite's `PRAGMA integrity_check`, PostgreSQL's amcheck), every row that
 * holds an encoded value decoded with the code Gatehouse reads it with, and the links that one
 * transaction writes together (a redeemed code and its grant, a token and its grant, a rotated
 * refresh token and its successor) all present.
 */
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RedisSessionStore, defaultRedisPrefix } from '../../src/session/redis-store.js';
import { systemClock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { AesGcmCipher } from '../../src/storage/cipher.js';
import { type CodeRow, type GrantRow, type TokenRow, codeOf, grantOf, signingKeyContext, tokenOf } from '../../src/storage/rows.js';
import { testPostgres } from '../helpers/postgres.js';
import { testRedis } from '../helpers/redis.js';
import { encryptionKey, redisDatabase, sessionSecret } from './world.js';

type Row = Record<string, unknown>;

/** What the inspection found: the engine check's verdict, rows decoded per table, and every problem. */
export interface Inspection {
  readonly engineCheck: string;
  readonly rows: Record<string, number>;
  readonly problems: string[];
}

/** Decodes every row of the tables holding encoded values; checks the links written in one transaction. */
async function decodeRows(rowsOf: (table: string) => Promise<Row[]>): Promise<Omit<Inspection, 'engineCheck'>> {
  const problems: string[] = [];
  const rows: Record<string, number> = {};
  const cipher = new AesGcmCipher(encryptionKey);
  const each = async (table: string, decode: (row: Row) => void) => {
    const all = await rowsOf(table);
    rows[table] = all.length;
    for (const row of all) {
      try {
        decode(row);
      } catch (error) {
        problems.push(`${table}: a row does not decode (${(error as Error).message}): ${JSON.stringify(row).slice(0, 200)}`);
      }
    }
    return all;
  };
  await each('sessions', (row) => {
    const state = JSON.parse(String(row.data)) as { username?: unknown; cookieDomain?: unknown };
    if (state.username !== row.username || typeof state.cookieDomain !== 'string') throw new Error('not a session state of its row');
  });
  await each('oidc_signing_keys', (row) => {
    if (
      !cipher
        .decrypt(row.private_key as Buffer, signingKeyContext(String(row.kid)))
        .toString('utf8')
        .includes('PRIVATE KEY')
    )
      throw new Error('no key');
  });
  await each('oidc_pending_authorizations', (row) => {
    JSON.parse(String(row.parameters));
    if (row.consent !== null) JSON.parse(String(row.consent));
  });
  const grants = new Set((await each('oidc_grants', (row) => grantOf(row as unknown as GrantRow))).map((row) => String(row.grant_id)));
  const codes = await each('oidc_authorization_codes', (row) => codeOf(row as unknown as CodeRow));
  const tokens = await each('oidc_tokens', (row) => {
    if (!['access', 'refresh'].includes(tokenOf(row as unknown as TokenRow).kind)) throw new Error(`kind ${String(row.kind)}`);
  });
  const tokenHashes = new Set(tokens.map((row) => String(row.token_hash)));
  for (const code of codes) if (code.consumed_at !== null && !grants.has(String(code.grant_id))) problems.push('a redeemed code without its grant');
  for (const token of tokens) if (!grants.has(String(token.grant_id))) problems.push(`a ${String(token.kind)} token without its grant`);
  for (const token of tokens)
    if (token.successor_hash !== null && !tokenHashes.has(String(token.successor_hash))) problems.push('a rotated token without its successor');
  return { rows, problems };
}

/** The SQLite file as the kill left it, opened read-only. */
export async function inspectSqlite(path: string): Promise<Inspection> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const verdict = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const orphans = db.prepare('PRAGMA foreign_key_check').all();
    const decoded = await decodeRows(async (table) => db.prepare(`SELECT * FROM ${table}`).all() as Row[]);
    if (orphans.length > 0) decoded.problems.push(`foreign_key_check: ${JSON.stringify(orphans).slice(0, 300)}`);
    return { engineCheck: `integrity_check: ${verdict}`, ...decoded };
  } finally {
    db.close();
  }
}

/**
 * The PostgreSQL schema as the kill left it. With amcheck (installed in the run's own database
 * when available): `bt_index_check` (with `heapallindexed`) on every B-tree index of the schema
 * and `verify_heapam` on every table; without it, the engine check says so and the rows are
 * still decoded.
 */
export async function inspectPostgres(database: string, schema: string): Promise<Inspection> {
  const client = new pg.Client({ ...testPostgres, database, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const engineCheck = await amcheck(client, database, schema);
    const decoded = await decodeRows(async (table) => (await client.query<Row>(`SELECT * FROM ${schema}.${table}`)).rows);
    if (engineCheck.problems.length > 0) decoded.problems.push(...engineCheck.problems);
    return { engineCheck: engineCheck.verdict, ...decoded };
  } finally {
    await client.end();
  }
}

async function amcheck(client: pg.Client, database: string, schema: string): Promise<{ verdict: string; problems: string[] }> {
  const installed = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'");
  if (installed.rowCount === 0) {
    const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'");
    if (available.rowCount === 0) return { verdict: 'amcheck is not available on this server: rows decoded only', problems: [] };
    // Only in the run's own database: the shared one is left as it is.
    if (database === testPostgres.database) return { verdict: `amcheck is not installed in ${database}: rows decoded only`, problems: [] };
    await client.query('CREATE EXTENSION amcheck');
  }
  const indexes = await client.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND a.amname = 'btree'`,
    [schema],
  );
  const tables = await client.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  const problems: string[] = [];
  for (const { name } of indexes.rows) {
    try {
      await client.query('SELECT bt_index_check($1::regclass, true)', [name]);
    } catch (error) {
      problems.push(`bt_index_check(${name}): ${(error as Error).message}`);
    }
  }
  for (const { name } of tables.rows) {
    const corrupt = await client.query('SELECT * FROM verify_heapam($1::regclass)', [name]);
    for (const row of corrupt.rows) problems.push(`verify_heapam(${name}): ${JSON.stringify(row)}`);
  }
  const verdict = `amcheck: bt_index_check on ${indexes.rowCount} indexes, verify_heapam on ${tables.rowCount} tables: ${problems.length === 0 ? 'ok' : `${problems.length} problems`}`;
  return { verdict, problems };
}

/** Every session value in the Redis run's database opens with the session secret (none half-written or foreign). */
export async function inspectRedis(): Promise<Inspection> {
  const redis = new Redis({ ...testRedis, db: redisDatabase, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    const store = new RedisSessionStore({ client: redis, secret: sessionSecret, clock: systemClock, random: systemRandom });
    const prefix = `${defaultRedisPrefix}data:`;
    const keys = await redis.keys(`${prefix}*`);
    const problems: string[] = [];
    for (const key of keys) if ((await store.get(key.slice(prefix.length))) === undefined) problems.push(`${key} does not open with the session secret`);
    return { engineCheck: 'redis: values opened', rows: { 'session values': keys.length }, problems };
  } finally {
    redis.disconnect();
  }
}
