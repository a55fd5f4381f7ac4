import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse-telemetry');
const withMetrics = (metrics: unknown) => ({ ...base, telemetry: { metrics } });

describe('telemetry.metrics (Authelia keys and defaults)', () => {
  it('is off by default, at tcp://:9959/metrics with 4096-byte buffers and 6s/6s/30s timeouts', () => {
    expect(configOf(base).telemetry).toEqual({
      metrics: {
        enabled: false,
        address: { kind: 'tcp', host: '', port: 9959 },
        path: '/metrics',
        buffers: { read: 4096, write: 4096 },
        timeouts: { read: 6_000, write: 6_000, idle: 30_000 },
      },
    });
  });

  it("reads Authelia's documented example as written", () => {
    const config = configOf(
      withMetrics({ enabled: true, address: 'tcp://:9959/', buffers: { read: 8192, write: 16384 }, timeouts: { read: '6s', write: '6s', idle: '30s' } }),
    );
    expect(config.telemetry.metrics).toMatchObject({
      enabled: true,
      address: { kind: 'tcp', host: '', port: 9959 },
      path: '/metrics',
      buffers: { read: 8192, write: 16384 },
    });
  });

  it.each([
    ['tcp://127.0.0.1:9000', { kind: 'tcp', host: '127.0.0.1', port: 9000 }, '/metrics'],
    ['tcp://0.0.0.0', { kind: 'tcp', host: '0.0.0.0', port: 9959 }, '/metrics'],
    ['tcp://[::1]:9100/prometheus', { kind: 'tcp', host: '::1', port: 9100 }, '/prometheus'],
    ['unix:///run/gatehouse/metrics.sock', { kind: 'unix', path: '/run/gatehouse/metrics.sock' }, '/metrics'],
  ])('reads the address %s', (address, listen, path) => {
    const { metrics } = configOf(withMetrics({ enabled: true, address })).telemetry;
    expect([metrics.address, metrics.path]).toEqual([listen, path]);
  });

  it('reports every problem with its dotted path', () => {
    expect(
      problemsOf(
        withMetrics({
          enabled: 'yes',
          address: 'http://:9959',
          buffers: { read: 10, write: 'big' },
          timeouts: { read: 'soon', idle: '0s' },
          port: 9959,
        }),
      ),
    ).toEqual([
      'telemetry.metrics.port: is not a known key',
      "telemetry.metrics.address: must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH', optionally with a path such as '/metrics', but is 'http://:9959'",
      "telemetry.metrics.enabled: must be true or false but is 'yes'",
      'telemetry.metrics.buffers.read: must be at least 1024 but is 10',
      "telemetry.metrics.buffers.write: must be a whole number but is 'big'",
      "telemetry.metrics.timeouts.read: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'",
      "telemetry.metrics.timeouts.idle: must be at least 1 seconds but is '0s'",
    ]);
    expect(problemsOf({ ...base, telemetry: { traces: {} } })).toEqual(['telemetry.traces: is not a known key']);
    expect(problemsOf(withMetrics({ address: 'tcp://:99999' }))[0]).toMatch(/^telemetry\.metrics\.address: must be /);
  });
});
