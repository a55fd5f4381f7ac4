import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import type { SessionRedisConfig } from '../../src/config/session-redis.js';
import { type RedisSessions, openRedisSessions } from '../../src/session/redis-sessions.js';
import type { Clock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { tempDir } from './config.js';

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

/** A free TCP port on loopback (asked of the system, then released). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` can be started (mandatory in CI; otherwise a skip with the reason printed). */
export function redisServerInstalled(suite: string): boolean {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  const reason = 'redis-server is not installed (apt-get install -y redis-server)';
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}: ${suite} needs it`);
  console.warn(`skipping ${suite}: ${reason}`);
  return false;
}

/**
 * A redis-server of the test's own on a free port, its data in an append-only file fsynced on
 * every write (so a SIGKILL loses nothing), killed after the test. `kill` and `start` stop it
 * hard and bring it back on the same port.
 */
export async function ownRedisServer(): Promise<{ host: string; port: number; kill(): Promise<void>; start(): Promise<void> }> {
  const dir = tempDir();
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    let output = '';
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
    started.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
    child = started;
    await eventually(async () => {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}:\n${output}`);
      const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, `redis-server on port ${port}`);
  };
  onTestFinished(kill);
  await start();
  return { host: '127.0.0.1', port, kill, start };
}
