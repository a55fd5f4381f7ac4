import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { StoreUnavailableError } from '../../src/shared/store-unavailable.js';
import { StorageGuard } from '../../src/storage/guard.js';
import { postgresStore, unavailability } from '../../src/storage/postgres/unavailable.js';
import { StorageUnavailableError } from '../../src/storage/unavailable.js';

/** pg's and Node.js's errors as they come: a message, maybe a code (an errno name or a SQLSTATE). */
function pgError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('unavailability: which pg failures mean that PostgreSQL cannot answer', () => {
  it.each([
    [pgError('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED'), 'connection refused (ECONNREFUSED)'],
    [pgError('read ECONNRESET', 'ECONNRESET'), 'connection reset (ECONNRESET)'],
    [pgError('connect ETIMEDOUT 10.0.0.5:5432', 'ETIMEDOUT'), 'connection timed out (ETIMEDOUT)'],
    [pgError('write EPIPE', 'EPIPE'), 'connection closed (EPIPE)'],
    [pgError('getaddrinfo EAI_AGAIN db.internal', 'EAI_AGAIN'), 'host name not resolved (EAI_AGAIN)'],
    [pgError('connect ENOENT /run/postgresql/.s.PGSQL.5432', 'ENOENT'), 'no socket at the address (ENOENT)'],
    [pgError('Connection terminated unexpectedly'), 'connection lost'],
    [pgError('Connection terminated'), 'connection lost'],
    [pgError('Client has encountered a connection error and is not queryable'), 'connection lost'],
    [pgError('Connection terminated due to connection timeout'), 'no answer within 5 s (storage.postgres.timeout)'],
    [pgError('Query read timeout'), 'no answer within 5 s (storage.postgres.timeout)'],
    [pgError('timeout exceeded when trying to connect'), 'no free connection within 5 s (storage.postgres.timeout)'],
    [pgError('canceling statement due to statement timeout', '57014'), 'no answer within 5 s (storage.postgres.timeout)'],
    [pgError('terminating connection due to administrator command', '57P01'), 'the server is shutting down (57P01)'],
    [pgError('the database system is starting up', '57P03'), 'the server is starting up or recovering (57P03)'],
    [pgError('sorry, too many clients already', '53300'), 'too many connections (53300)'],
    [pgError('connection failure', '08006'), 'connection failure (08006)'],
    // Thrown once the transaction (or statement) lost its deadlock three times: retried before, then a 503.
    [pgError('deadlock detected', '40P01'), "a conflict with other instances' writes, 3 tries (40P01)"],
    [pgError('could not serialize access due to concurrent update', '40001'), "a conflict with other instances' writes, 3 tries (40001)"],
    // Node.js trying an IPv4 and an IPv6 address at once reports both in one AggregateError.
    [new AggregateError([pgError('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), 'connection refused (ECONNREFUSED)'],
  ])('%s → %s (no address in the reason)', (error, reason) => {
    expect(unavailability(error, 5000)).toBe(reason);
    expect(reason).not.toMatch(/10\.0\.0\.5|db\.internal|::1|\/run\//);
  });

  it.each([
    pgError('duplicate key value violates unique constraint "oidc_tokens_pkey"', '23505'),
    pgError('relation "sessions" does not exist', '42P01'),
    pgError('Cannot use a pool after calling end on the pool'),
    new TypeError("Cannot read properties of undefined (reading 'rows')"),
    'a string',
    undefined,
  ])('%s is another failure: left as it is', (error) => {
    expect(unavailability(error, 5000)).toBeUndefined();
  });
});

class FakeRepository {
  #calls = 0;
  failWith: unknown;

  async get(id: string): Promise<string> {
    this.#calls++;
    if (this.failWith !== undefined) throw this.failWith;
    return `row ${id}`;
  }

  get calls(): number {
    return this.#calls;
  }
}

describe('StorageGuard: every repository call, one mapping', () => {
  const guard = (clock = new ManualClock(), ping: () => Promise<unknown> = async () => undefined) =>
    new StorageGuard({ clock, timeout: 1000, ping, store: postgresStore, classify: unavailability });

  it('passes answers through (private fields work behind the wrapper), and maps lost connections to StorageUnavailableError (503)', async () => {
    const g = guard();
    const inner = new FakeRepository();
    const repository = g.wrap(inner);
    expect(await repository.get('a')).toBe('row a');
    expect(repository.calls).toBe(1);
    inner.failWith = pgError('Connection terminated unexpectedly');
    const error = await repository.get('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({
      code: 'GH_STORAGE_UNAVAILABLE',
      status: 503,
      expose: true,
      store: 'storage.postgres',
      reason: 'connection lost',
      message: 'The request cannot be completed right now (the storage is unavailable); try again shortly.',
    });
    expect((error as Error).cause).toBe(inner.failWith);
  });

  it('leaves other failures as they are (a constraint is not an outage)', async () => {
    const inner = new FakeRepository();
    const repository = guard().wrap(inner);
    inner.failWith = pgError('duplicate key value violates unique constraint', '23505');
    await expect(repository.get('a')).rejects.toBe(inner.failWith);
  });

  it('follows the outage: the first failure starts it (since, reason), an answer of any kind ends it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const g = guard(clock);
    const seen: string[] = [];
    g.availability.listen({ lost: (o) => seen.push(`lost ${o.reason}`), back: (o, now) => seen.push(`back after ${now - o.since} ms`) });
    const inner = new FakeRepository();
    const repository = g.wrap(inner);
    inner.failWith = pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    await repository.get('a').catch(() => undefined);
    clock.advance(500);
    inner.failWith = pgError('Connection terminated unexpectedly');
    await repository.get('a').catch(() => undefined);
    expect(g.availability.outage).toEqual({ since: Date.UTC(2026, 0, 1), reason: 'connection refused (ECONNREFUSED)' });
    clock.advance(1500);
    inner.failWith = pgError('duplicate key', '23505'); // the server answered
    await repository.get('a').catch(() => undefined);
    expect(g.availability.outage).toBeUndefined();
    expect(seen).toEqual(['lost connection refused (ECONNREFUSED)', 'back after 2000 ms']);
  });

  it('probe: resolves when the server answers, rejects within the timeout when it does not, whatever the driver does', async () => {
    expect(await guard().probe()).toBeUndefined();
    const refused = guard(new ManualClock(), async () => {
      throw pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    });
    await expect(refused.probe()).rejects.toMatchObject({ store: 'storage.postgres', reason: 'connection refused (ECONNREFUSED)' });
    const silent = guard(new ManualClock(), () => new Promise(() => undefined)); // a stalled network: never settles
    const started = performance.now();
    await expect(silent.probe()).rejects.toMatchObject({ code: 'GH_STORAGE_UNAVAILABLE', reason: 'no answer within 1 s (storage.postgres.timeout)' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(silent.availability.outage?.reason).toBe('no answer within 1 s (storage.postgres.timeout)');
  });
});
