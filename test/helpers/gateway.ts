import { join } from 'node:path';
import { type DispatchFunc, type InjectOptions, inject, type Response } from 'light-my-request';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/server/gateway.js';
import { configOf, minimalRaw, tempDir } from './config.js';

/** A configuration listening on a free loopback port with its database in a fresh folder. */
export function testConfig(overrides: Record<string, unknown> = {}, dir = tempDir()): Config {
  return configOf(minimalRaw(dir, overrides), {}, dir);
}

/** Starts a gateway that is closed after the current test. */
export async function startTestGateway(config: Config, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const gateway = await startGateway(config, { logger: pino({ level: 'silent' }), appVersion: 'test', ...options });
  onTestFinished(() => gateway.close());
  return gateway;
}

/** The SQLite file of a `storage.local` configuration. */
export function dbPath(config: Config): string {
  if (config.storage.kind !== 'local') throw new Error('dbPath: the configuration has no storage.local');
  return config.storage.local.path;
}

export { join };

/**
 * `inject` through the gateway's own request listener (server/listener.ts), as a real connection
 * is served: the forward-auth fast path and the proxy answer before fastify, everything else
 * reaches fastify through it. (`app.inject` would skip the listener and reach fastify only.)
 */
export function injectListener(gateway: Pick<Gateway, 'app'>, options: InjectOptions): Promise<Response> {
  const listener = gateway.app.server.listeners('request')[0] as DispatchFunc | undefined;
  if (listener === undefined) throw new Error('the gateway has no request listener');
  return inject(listener, options);
}
