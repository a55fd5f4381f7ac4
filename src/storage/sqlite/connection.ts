import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';

/**
 * Handles kept reachable for the life of the process. better-sqlite3 12 on Node.js 24 aborts
 * the process when V8 collects a Statement during a garbage collection that runs outside a
 * JavaScript context (its destructor asks Node for the current Environment, which is null
 * there: WiseLibs/better-sqlite3#1515). A statement that is never garbage never runs that
 * destructor, so every connection caches its statements by SQL text and is itself retained.
 * The cost is a few kilobytes per distinct statement; Gatehouse prepares a fixed set.
 */
const retained: Database[] = [];

/**
 * Opens a connection whose `prepare` returns one cached statement per SQL text. Statements
 * are reused, never collected. Use `exec('PRAGMA …')` rather than `pragma()`, which prepares
 * statements internally outside this cache.
 */
export function openConnection(path: string): Database {
  const db = new BetterSqlite3(path);
  const prepareUncached = db.prepare.bind(db);
  const cache = new Map<string, Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = prepareUncached(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as Database['prepare'];
  retained.push(db);
  return db;
}
