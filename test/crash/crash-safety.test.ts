import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../helpers/config.js';
import { postgresSkipReason } from '../helpers/postgres.js';
import { redisAvailable } from '../helpers/redis.js';
import { type Inspection, inspectPostgres, inspectRedis, inspectSqlite } from './inspect.js';
import { Ledger } from './ledger.js';
import { Load, relyingParty } from './load.js';
import { checkSurvival } from './verify.js';
import { type Stores, flushRedis, postgresStores, sqliteStores, startGateway, users, writeConfig } from './world.js';

/**
 * Issue 16, item 3: `gatehouse serve` killed with SIGKILL while password logins, OpenID Connect
 * code exchanges and refresh-token rotations, forward-auth checks and userinfo calls are in
 * flight, then started again on the same store. Nothing a client received a complete answer for
 * may be lost (verify.ts lists what is checked and how), and nothing may be half-written
 * (inspect.ts: the engine's own check, every encoded row decoded, the links one transaction
 * writes all present). Once on SQLite, once on PostgreSQL, once on PostgreSQL with sessions in
 * Redis. The kill comes when a request has just been answered while a login, a code exchange and
 * a refresh are all in flight (after some of each were answered), so it lands among writes.
 */
const suite = 'test/crash/crash-safety.test.ts';
const noPostgres = await postgresSkipReason();
const redis = await redisAvailable(suite);

/** Whether to kill now: enough of each answered, and a login, a code exchange and a refresh in flight. */
function due(ledger: Ledger): boolean {
  const { done, inFlight } = ledger;
  const enough = done.login >= 20 && done['code-exchange'] >= 8 && done.refresh >= 8 && done['forward-auth'] >= 40 && done.userinfo >= 4;
  // All three at once is the aim; after many more answers, any write in flight will do (the bound on the run).
  const strict = done.login < 200;
  const writes = inFlight.login + inFlight['code-exchange'] + inFlight.refresh;
  return enough && (strict ? inFlight.login > 0 && inFlight['code-exchange'] > 0 && inFlight.refresh > 0 : writes > 0);
}

/** Load, SIGKILL, inspection of what is left (`inspect`), restart, and the survival checks. */
async function crashAndRestart(stores: Stores, inspect: () => Promise<Inspection[]>): Promise<void> {
  const file = writeConfig(tempDir(), stores);
  let gateway = await startGateway(file);
  onTestFinished(() => gateway.kill());
  let target = gateway.target;
  const rp = await relyingParty(() => target);
  const ledger = new Ledger();
  let killed = false;
  let failure: unknown;
  const load = new Load(
    () => target,
    ledger,
    rp,
    () => killed || failure !== undefined,
  );
  for (const user of users) await load.login(user);
  ledger.onChange = () => {
    if (killed || !due(ledger)) return;
    killed = true;
    ledger.killed();
    gateway.served.child.kill('SIGKILL');
  };
  const workers = [
    ...users.slice(0, 2).map((user) => load.logins(user)),
    ...users.slice(2).map((user) => load.flows(user)),
    load.forwardAuths(),
    load.forwardAuths(),
  ];
  await Promise.all(
    workers.map((worker) =>
      worker.catch((error: unknown) => {
        if (!killed) failure ??= error;
      }),
    ),
  );
  if (failure) throw new Error(`the load failed before the kill: ${(failure as Error).message}\n${gateway.served.output().slice(-3000)}`);
  await gateway.kill();
  expect(gateway.served.child.signalCode).toBe('SIGKILL');

  const inspections = await inspect();
  gateway = await startGateway(file);
  target = gateway.target;
  const survival = await checkSurvival(target, rp, ledger);
  console.log(
    `crash safety (${stores.kind}${stores.kind === 'postgres' && stores.redis ? ' + redis sessions' : ''}): ${ledger.summary()}; ` +
      `in-flight codes: ${survival.inFlightCodes.redeemed} redeemed after the restart, ${survival.inFlightCodes.spent} spent before the kill; ` +
      inspections.map((i) => `${i.engineCheck}; rows ${JSON.stringify(i.rows)}`).join('; '),
  );
  expect(inspections.flatMap((i) => i.problems)).toEqual([]);
  expect(survival.lost).toEqual([]);
  // Something was in flight and something was held: the run tested what it claims to.
  expect(ledger.atKill!.login + ledger.atKill!['code-exchange'] + ledger.atKill!.refresh).toBeGreaterThan(0);
  expect(ledger.codes.size).toBeGreaterThan(0);
  expect(await gateway.stop()).toBe(0);
}

describe('SIGKILL under load, then a restart on the same store', () => {
  it('SQLite: every session and token received survives; integrity_check is ok', { timeout: 45_000 }, async () => {
    const stores = sqliteStores();
    await crashAndRestart(stores, async () => {
      const inspection = await inspectSqlite(stores.path);
      expect(inspection.engineCheck).toBe('integrity_check: ok');
      return [inspection];
    });
  });

  it.skipIf(noPostgres !== undefined)('PostgreSQL: every session and token received survives; amcheck finds nothing', { timeout: 45_000 }, async () => {
    const { stores, drop } = await postgresStores(false);
    onTestFinished(drop);
    await crashAndRestart(stores, async () => [await inspectPostgres(stores.database, stores.schema)]);
  });

  it.skipIf(noPostgres !== undefined || !redis)('PostgreSQL with sessions in Redis: the same', { timeout: 45_000 }, async () => {
    const { stores, drop } = await postgresStores(true);
    await flushRedis();
    onTestFinished(async () => {
      await flushRedis();
      await drop();
    });
    await crashAndRestart(stores, async () => [await inspectPostgres(stores.database, stores.schema), await inspectRedis()]);
  });
});
