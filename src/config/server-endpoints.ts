import type { ReadContext } from './reader.js';

/**
 * `server.endpoints`: the authorization endpoints (names, implementation, authentication
 * strategies) and the rate limits per endpoint group, with Authelia's keys and defaults.
 */
export interface ServerEndpointsConfig {
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Reads `server.endpoints` (`path` is its dotted path). */
export function readServerEndpoints(_ctx: ReadContext, _path: string, value: unknown): ServerEndpointsConfig {
  return { raw: (value ?? {}) as Record<string, unknown> };
}
