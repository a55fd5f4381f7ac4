import { describe, expect, it } from 'vitest';
import { HealthCheck, describeOutages } from '../../src/server/health.js';
import { ManualClock } from '../../src/shared/clock.js';
import { Availability, type StoreHealth } from '../../src/shared/store-health.js';
import { StoreUnavailableError } from '../../src/shared/store-unavailable.js';

/** A store whose probe answers as `up` says, counting probes; a probe in flight waits for `release` when `hold` is set. */
function fakeStore(store: string, clock: ManualClock) {
  const availability = new Availability(clock);
  const state: { up: boolean; probes: number; hold: boolean; release: () => void } = { up: true, probes: 0, hold: false, release: () => undefined };
  const health: StoreHealth = {
    store,
    availability,
    async probe() {
      state.probes++;
      if (state.hold) await new Promise<void>((resolve) => (state.release = resolve));
      if (state.up) return availability.answered();
      availability.failed('connection refused (ECONNREFUSED)');
      throw new StoreUnavailableError('GH_STORAGE_UNAVAILABLE', 'unavailable', { store, reason: 'connection refused (ECONNREFUSED)', cause: undefined });
    },
  };
  return { health, state };
}

describe('HealthCheck', () => {
  it('probes each store at most once per second, sharing the answer (and a probe in flight) with every check meanwhile', async () => {
    const clock = new ManualClock();
    const db = fakeStore('storage.postgres', clock);
    const check = new HealthCheck({ stores: [db.health], clock });
    for (let i = 0; i < 5; i++) expect(await check.outages()).toEqual([]);
    expect(db.state.probes).toBe(1);
    clock.advance(999);
    await check.outages();
    expect(db.state.probes).toBe(1);
    clock.advance(1);
    db.state.hold = true;
    const concurrent = [check.outages(), check.outages(), check.outages()];
    db.state.release();
    await Promise.all(concurrent);
    expect(db.state.probes).toBe(2);
  });

  it('names the store that does not answer, since when and why; healthy again once it answers', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const db = fakeStore('storage.postgres', clock);
    const redis = fakeStore('session.redis', clock);
    const check = new HealthCheck({ stores: [db.health, redis.health], clock });
    db.state.up = false;
    const first = await check.outages();
    expect(first).toEqual([{ store: 'storage.postgres', since: Date.UTC(2026, 0, 1, 12, 0, 0), reason: 'connection refused (ECONNREFUSED)' }]);
    clock.advance(5_000);
    redis.state.up = false;
    const both = await check.outages();
    // The outage started at the first failure, not at this probe.
    expect(describeOutages(both)).toBe(
      'storage.postgres is unavailable since 2026-01-01T12:00:00.000Z: connection refused (ECONNREFUSED); session.redis is unavailable since 2026-01-01T12:00:05.000Z: connection refused (ECONNREFUSED)',
    );
    clock.advance(1_000);
    db.state.up = true;
    redis.state.up = true;
    expect(await check.outages()).toEqual([]);
  });

  it('counts a probe failing in another way as an outage too', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const broken: StoreHealth = {
      store: 'storage.postgres',
      availability: new Availability(clock),
      probe: async () => {
        throw new TypeError('bug');
      },
    };
    expect(await new HealthCheck({ stores: [broken], clock }).outages()).toEqual([
      { store: 'storage.postgres', since: Date.UTC(2026, 0, 1), reason: 'the probe failed (TypeError)' },
    ]);
  });

  it('with nothing to probe (SQLite) is always healthy', async () => {
    expect(await new HealthCheck({ stores: [], clock: new ManualClock() }).outages()).toEqual([]);
  });
});
