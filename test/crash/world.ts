import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { dump } from 'js-yaml';
import { spawnServe, type Served } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { quickDigest } from '../helpers/portal.js';
import { query, testPostgres } from '../helpers/postgres.js';
import { testRedis } from '../helpers/redis.js';

export const domain = 'gatehouse.localhost';
export const portalHost = `auth.${domain}`;
export const issuer = `http://${portalHost}`;
/** A site of policy `one_factor`: what forward-auth is asked about. */
export const siteHost = `app.${domain}`;
export const callback = `http://rp.${domain}/callback`;
export const clientId = 'crash-rp';
export const clientSecret = 'crash-safety-client-secret-0123456789';
export const encryptionKey = 'a-very-long-crash-safety-encryption-key';
export const sessionSecret = 'a-very-long-crash-safety-session-secret';
/** The Redis database the Redis run uses (flushed before and after; multi-instance uses 11, bench/ 14). */
export const redisDatabase = 12;
/** Users u0 … u7, password `pw-<name>`: each session names whose it is. */
export const users = Array.from({ length: 8 }, (_, i) => `u${i}`);
export const passwordOf = (user: string) => `pw-${user}`;

/** Where a run keeps what the gateway stores. */
export type Stores =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly database: string; readonly schema: string; readonly redis: boolean };

/**
 * The configuration file of a run: storage as `stores` says (sessions in Redis when asked), the
 * users file, a one_factor site, and one confidential OpenID Connect client with explicit consent
 * and refresh tokens. The reuse grace is a minute (its maximum): a refresh whose answer the kill
 * swallowed can be retried after the restart, which the checks rely on and state. Codes live 5
 * minutes and sessions idle 5 minutes, so that a slow machine's restart does not expire what the
 * checks use.
 */
export function writeConfig(dir: string, stores: Stores): string {
  const usersFile = join(dir, 'users.yml');
  const entries = users.map((name) => [name, { displayname: name.toUpperCase(), password: quickDigest(passwordOf(name)), email: `${name}@${domain}` }]);
  writeFileSync(usersFile, dump({ users: Object.fromEntries(entries) }));
  const storage =
    stores.kind === 'sqlite'
      ? { local: { path: stores.path } }
      : {
          postgres: {
            address: `tcp://${testPostgres.host}:${testPostgres.port}`,
            database: stores.database,
            schema: stores.schema,
            username: testPostgres.user,
            ...(testPostgres.password === undefined ? {} : { password: testPostgres.password }),
          },
        };
  const raw = {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: 'info', format: 'text' },
    session: {
      secret: sessionSecret,
      expiration: '1h',
      inactivity: '5m',
      cookies: [{ domain, portal_url: issuer }],
      ...(stores.kind === 'postgres' && stores.redis ? { redis: { host: testRedis.host, port: testRedis.port, database_index: redisDatabase } } : {}),
    },
    storage: { encryption_key: encryptionKey, ...storage },
    authentication_backend: { file: { path: usersFile } },
    notifier: { filesystem: { filename: join(dir, 'notifications.txt') } },
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: portalHost, policy: 'bypass' },
        { domain: siteHost, policy: 'one_factor' },
      ],
    },
    identity_providers: {
      oidc: {
        hmac_secret: 'a-very-long-crash-safety-hmac-secret',
        lifespans: { refresh_token_reuse_grace: '1m', authorize_code: '5m' },
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            authorization_policy: 'one_factor',
            consent_mode: 'explicit',
            redirect_uris: [callback],
            grant_types: ['authorization_code', 'refresh_token'],
            scopes: ['openid', 'profile', 'email', 'offline_access'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
      },
    },
  };
  const file = join(dir, 'gatehouse.yml');
  writeFileSync(file, dump(raw));
  return file;
}

/** A running `gatehouse serve`; `kill` is SIGKILL, `stop` SIGTERM (expecting exit 0). */
export interface Running {
  readonly served: Served;
  readonly target: URL;
  /** SIGKILL, then waits until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM; the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `gatehouse serve --config file` and waits until it listens. The caller ends it. */
export async function startGateway(file: string): Promise<Running> {
  const served = await spawnServe(['--config', file]).listening;
  const ended = new Promise<void>((resolve) => served.child.once('exit', () => resolve()));
  const gone = () => served.child.exitCode !== null || served.child.signalCode !== null;
  return {
    served,
    target: new URL(served.url),
    kill: async () => {
      if (!gone()) served.child.kill('SIGKILL');
      await ended;
    },
    stop: async () => {
      if (!gone()) served.child.kill('SIGTERM');
      return served.exited;
    },
  };
}

/** A folder of its own and a SQLite file in it. */
export function sqliteStores(): Stores & { kind: 'sqlite' } {
  return { kind: 'sqlite', path: join(tempDir(), 'db.sqlite3') };
}

/**
 * A fresh PostgreSQL database for one run (so amcheck can be installed in it without touching
 * the shared `test` database), dropped by the returned `drop`. Where the role may not create
 * databases, a fresh schema in the shared database instead.
 */
export async function postgresStores(redis: boolean): Promise<{ stores: Stores & { kind: 'postgres' }; drop: () => Promise<void> }> {
  const name = `gh_crash_${randomBytes(5).toString('hex')}`;
  try {
    await query(`CREATE DATABASE ${name}`);
  } catch (error) {
    console.warn(`crash safety: cannot create a database (${(error as Error).message}); using schema ${name} of ${testPostgres.database}`);
    const stores = { kind: 'postgres', database: testPostgres.database, schema: name, redis } as const;
    return { stores, drop: () => query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).then(() => undefined) };
  }
  const stores = { kind: 'postgres', database: name, schema: 'gatehouse', redis } as const;
  return { stores, drop: () => query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined) };
}

/** Empties the Redis database of the Redis run. */
export async function flushRedis(): Promise<void> {
  const client = new Redis({ ...testRedis, db: redisDatabase, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.flushdb();
  } finally {
    client.disconnect();
  }
}
