import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import type { SessionRedisConfig } from '../../src/config/session-redis.js';
import { type RedisSessions, openRedisSessions } from '../../src/session/redis-sessions.js';
import type { Clock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { tempDir } from './config.js';
import { freePort } from './ports.js';

/** The Redis the machines and CI run (GATEHOUSE_TEST_REDIS=host:port overrides it). */
const [testHost, testPort] = (process.env.GATEHOUSE_TEST_REDIS ?? '127.0.0.1:6379').split(':') as [string, string];
export const testRedis = { host: testHost, port: Number(testPort) };

/**
 * Whether the test Redis answers. In CI (`CI=true`) it must: a missing Redis fails the run
 * loudly. Elsewhere a suite that needs it is skipped, and the reason is printed once.
 */
export async function redisAvailable(suite: string): Promise<boolean> {
  const client = new Redis({ ...testRedis, lazyConnect: true, connectTimeout: 2000, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (error) {
    const reason = `Redis is not reachable at ${testRedis.host}:${testRedis.port} (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}: the Redis runs of ${suite} are mandatory in CI`);
    console.warn(`skipping the Redis runs of ${suite}: ${reason}; start redis-server or set GATEHOUSE_TEST_REDIS=host:port`);
    return false;
  } finally {
    client.disconnect();
  }
}

/** `session.redis` pointing at `address` (the test Redis by default), as the configuration reader would build it. */
export function redisConfig(address: { host: string; port: number } = testRedis, overrides: Partial<SessionRedisConfig> = {}): SessionRedisConfig {
  return {
    host: address.host,
    socket: false,
    port: address.port,
    timeout: 2000,
    maxRetries: 0,
    username: undefined,
    password: undefined,
    databaseIndex: 0,
    maximumActiveConnections: 8,
    minimumIdleConnections: 0,
    tls: undefined,
    highAvailability: undefined,
    ...overrides,
  };
}

/** A key prefix of its own for one test, whose keys are deleted after it. */
export function testPrefix(address: { host: string; port: number } = testRedis): string {
  const prefix = `gatehouse-test:${randomBytes(6).toString('hex')}:`;
  onTestFinished(async () => {
    const client = new Redis({ ...address, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } catch {
      // A server the test killed has nothing left to clean.
    } finally {
      client.disconnect();
    }
  });
  return prefix;
}

export const secret = 'a-very-long-test-session-secret';

/** Opens Redis sessions under `prefix` (closed after the test). */
export async function openTestSessions(
  clock: Clock,
  prefix: string,
  options: { changes?: boolean; address?: { host: string; port: number }; secret?: string } = {},
): Promise<RedisSessions> {
  const sessions = await openRedisSessions(redisConfig(options.address), {
    secret: options.secret ?? secret,
    clock,
    random: systemRandom,
    logger: pino({ level: 'silent' }),
    changes: options.changes ?? false,
    prefix,
  });
  onTestFinished(() => sessions.close());
  return sessions;
}

/** Polls `check` until it holds (each poll yields to I/O); fails after `ms` of real time. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether `redis-server` can be started (mandatory in CI; otherwise a skip with the reason printed). */
export function redisServerInstalled(suite: string): boolean {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  const reason = 'redis-server is not installed (apt-get install -y redis-server)';
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}: ${suite} needs it`);
  console.warn(`skipping ${suite}: ${reason}`);
  return false;
}

/** A Redis Sentinel of the test's own on a free port, watching `master` under the name `main`; killed after the test. */
export async function ownSentinel(master: { host: string; port: number }): Promise<{ host: string; port: number }> {
  const dir = tempDir();
  const port = await freePort();
  const file = join(dir, 'sentinel.conf');
  writeFileSync(file, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor main ${master.host} ${master.port} 1\n`);
  await serve(['redis-server', file, '--sentinel'], port);
  return { host: '127.0.0.1', port };
}

/** Spawns `command` (killed after the test) and resolves once something answers PING on `port` (over `tls` when given). */
async function serve([command, ...args]: string[], port: number, tls?: ConnectionOptions): Promise<ChildProcess> {
  let output = '';
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });
  await eventually(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${command} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, ...(tls ? { tls } : {}) });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, `${command} on port ${port}`);
  return child;
}

/**
 * A redis-server of the test's own on a free port, its data in an append-only file fsynced on
 * every write (so a SIGKILL loses nothing), killed after the test. `kill` and `start` stop it
 * hard and bring it back on the same port. With `tls` (PEM files) it speaks TLS only and asks
 * for a client certificate signed by (or being) `tls.client.certificate`.
 */
export async function ownRedisServer(
  options: { tls?: { certificate: string; key: string; client: { certificate: string; key: string } } } = {},
): Promise<{ host: string; port: number; kill(): Promise<void>; start(): Promise<void> }> {
  const dir = tempDir();
  const port = await freePort();
  let child: ChildProcess | undefined;
  const { tls } = options;
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certificate, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.client.certificate]
    : ['--port', String(port)];
  const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  const probeTls = tls && {
    rejectUnauthorized: false,
    cert: readFileSync(tls.client.certificate, 'utf8'),
    key: readFileSync(tls.client.key, 'utf8'),
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    child = await serve(['redis-server', ...args], port, probeTls);
  };
  onTestFinished(kill);
  await start();
  return { host: '127.0.0.1', port, kill, start };
}
