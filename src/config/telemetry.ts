import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readDuration, readInteger, readMapping, readString } from './reader.js';
import { type ListenAddress, parseListenAddress, type ServerTimeouts } from './server.js';

/** `telemetry.metrics`: the Prometheus exporter, on a listener of its own (Authelia's keys and defaults). */
export interface MetricsConfig {
  readonly enabled: boolean;
  /** Where the exporter listens (default `tcp://:9959`, Prometheus' registered port for Authelia). */
  readonly address: ListenAddress;
  /** The path the metrics are served at: the address's path, `/metrics` when it has none. */
  readonly path: string;
  /** `read`: the largest request head accepted (bytes); `write`: the socket's write buffer (bytes). */
  readonly buffers: { readonly read: number; readonly write: number };
  readonly timeouts: ServerTimeouts;
}

export interface TelemetryConfig {
  readonly metrics: MetricsConfig;
}

/**
 * Reads `telemetry` (`metrics.{enabled,address,buffers.{read,write},timeouts.{read,write,idle}}`).
 * The address is `tcp://HOST:PORT`, `tcp://:PORT` or `unix:///PATH`, optionally followed by the
 * path to serve the metrics at (`tcp://:9959/metrics`); without a port, 9959.
 */
export function readTelemetry(ctx: ReadContext, value: unknown): TelemetryConfig {
  const raw = readMapping(ctx, 'telemetry', value, ['metrics']) ?? {};
  const path = keyPath('telemetry', 'metrics');
  const m = readMapping(ctx, path, raw.metrics, ['enabled', 'address', 'buffers', 'timeouts']) ?? {};
  const fallback = defaults.telemetry.metrics;
  const addressText = readString(ctx, keyPath(path, 'address'), m.address) ?? fallback.address;
  const parsed = parseMetricsAddress(addressText);
  if (!parsed) {
    ctx.problems.error(
      keyPath(path, 'address'),
      `must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH', optionally with a path such as '/metrics', but is '${addressText}'`,
    );
  }
  const buffersPath = keyPath(path, 'buffers');
  const buffers = readMapping(ctx, buffersPath, m.buffers, ['read', 'write']) ?? {};
  const timeoutsPath = keyPath(path, 'timeouts');
  const timeouts = readMapping(ctx, timeoutsPath, m.timeouts, ['read', 'write', 'idle']) ?? {};
  return {
    metrics: {
      enabled: readBoolean(ctx, keyPath(path, 'enabled'), m.enabled, false),
      address: parsed?.address ?? { kind: 'tcp', host: '', port: fallback.port },
      path: parsed?.path ?? fallback.path,
      buffers: {
        read: readInteger(ctx, keyPath(buffersPath, 'read'), buffers.read, fallback.buffers.read, { min: 1024, max: 1_048_576 }),
        write: readInteger(ctx, keyPath(buffersPath, 'write'), buffers.write, fallback.buffers.write, { min: 1024, max: 1_048_576 }),
      },
      timeouts: {
        read: readDuration(ctx, keyPath(timeoutsPath, 'read'), timeouts.read, fallback.timeouts.read, { min: 1000 }),
        write: readDuration(ctx, keyPath(timeoutsPath, 'write'), timeouts.write, fallback.timeouts.write, { min: 1000 }),
        idle: readDuration(ctx, keyPath(timeoutsPath, 'idle'), timeouts.idle, fallback.timeouts.idle, { min: 1000 }),
      },
    },
  };
}

/** `tcp://…[/path]` or `unix:///path`: the listen address and the metrics path. */
function parseMetricsAddress(text: string): { address: ListenAddress; path: string } | undefined {
  if (text.startsWith('unix://')) {
    const address = parseListenAddress(text);
    return address && { address, path: defaults.telemetry.metrics.path };
  }
  const match = /^(tcp:\/\/[^/]*)(\/[A-Za-z0-9._~\-/]*)?$/.exec(text);
  if (!match) return undefined;
  const authority = match[1] ?? '';
  const address = parseListenAddress(/:\d{1,5}$/.test(authority) ? authority : `${authority}:${defaults.telemetry.metrics.port}`);
  const path = match[2] === undefined || match[2] === '/' ? defaults.telemetry.metrics.path : match[2];
  return address && { address, path };
}
