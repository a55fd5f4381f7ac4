// gatehouse storage copy: rows per second of copyStorage for a store of N sessions, N OIDC tokens
// and N/10 TOTP keys (encrypted: each is decrypted and encrypted again), SQLite → SQLite (the
// baseline, measured in the same run), SQLite → PostgreSQL, PostgreSQL → SQLite and
// PostgreSQL → PostgreSQL, each into a fresh target under another encryption key. Median of the
// rounds; opening (and migrating) the stores is not counted. Needs PostgreSQL (PG* variables, else
// 127.0.0.1:5432, user postgres, database test).
//   node scripts/build.mjs && node bench/storage-copy.mjs [N] [rounds]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { copyStorage } from '../dist/storage/copy/copy.js';
import { openStorage } from '../dist/storage/open.js';

const n = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 3);
const clock = { now: () => Date.now() };
const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD,
  database: process.env.PGDATABASE ?? 'test',
};
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-copy-'));
const schemas = [];
let stores = 0;

function sqliteConfig(key) {
  return { encryptionKey: key, kind: 'local', local: { path: join(dir, `${++stores}.sqlite3`) } };
}

function postgresConfig(key) {
  const schema = `gh_bench_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  const postgres = {
    address: { kind: 'tcp', host: server.host, port: server.port },
    database: server.database,
    schema,
    username: server.user,
    password: server.password,
    timeout: 30_000,
    tls: undefined,
  };
  return { encryptionKey: key, kind: 'postgres', postgres };
}

const open = (config) => openStorage(config, { clock, appVersion: 'bench' });

/** The source: N sessions, N refresh tokens of one grant, N/10 TOTP keys, through the repositories. */
async function fill(storage) {
  const data = JSON.stringify({ username: 'user', level: 1, createdAt: 1, lastActivity: 1, flows: {}, amr: ['pwd'], cookieDomain: 'example.com' });
  const writes = [];
  for (let i = 0; i < n; i++) {
    writes.push(storage.sessions.put({ idHash: randomBytes(32).toString('base64url'), username: `user${i % 500}`, data, createdAt: i, expiresAt: 2e12 }));
    writes.push(
      storage.oidc.saveToken({
        tokenHash: randomBytes(32).toString('hex'),
        kind: 'refresh',
        grantId: 'g1',
        clientId: 'app',
        username: `user${i % 500}`,
        subject: 'sub',
        scopes: ['openid', 'offline_access'],
        issuedAt: i,
        expiresAt: 2e12,
        revokedAt: undefined,
      }),
    );
    if (i % 10 === 0) {
      writes.push(
        storage.totp.save({
          username: `user${i}`,
          issuer: 'x',
          algorithm: 'SHA1',
          digits: 6,
          period: 30,
          secret: randomBytes(20),
          createdAt: i,
          lastUsedAt: undefined,
        }),
      );
    }
    if (writes.length >= 200) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

const kinds = { sqlite: sqliteConfig, postgres: postgresConfig };
const sources = {};
for (const kind of Object.keys(kinds)) {
  const config = kinds[kind]('bench-source-encryption-key');
  const storage = await open(config);
  await fill(storage);
  await storage.close();
  sources[kind] = config;
}

const cases = [
  ['sqlite', 'sqlite'],
  ['sqlite', 'postgres'],
  ['postgres', 'sqlite'],
  ['postgres', 'postgres'],
];
const results = [];
try {
  for (const [from, to] of cases) {
    const times = [];
    let rows = 0;
    for (let round = 0; round < rounds; round++) {
      const source = await open(sources[from]);
      const target = await open(kinds[to]('bench-target-encryption-key'));
      const started = performance.now();
      const report = await copyStorage(source, target, { force: false });
      times.push(performance.now() - started);
      rows = report.tables.reduce((sum, t) => sum + t.rows, 0);
      await source.close();
      await target.close();
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    results.push({ from, to, rows, ms, rate: (rows * 1000) / ms });
  }
} finally {
  const client = new pg.Client(server);
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  rmSync(dir, { recursive: true, force: true });
}

const base = results[0].rate;
console.log(`storage copy: ${n} sessions + ${n} tokens + ${n / 10} TOTP keys, median of ${rounds} (node ${process.version})\n`);
console.log('| from → to | rows | ms | rows/s | ÷ SQLite → SQLite |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.from} → ${r.to} | ${r.rows} | ${r.ms.toFixed(0)} | ${Math.round(r.rate).toLocaleString('en')} | ${(r.rate / base).toFixed(2)} |`);
}
