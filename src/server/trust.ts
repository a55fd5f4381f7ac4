import proxyAddr from '@fastify/proxy-addr';
import { boundedMemo } from '../shared/bounded-memo.js';
import type { TrustFunction } from '../shared/http/request-view.js';

export type { TrustFunction };

/**
 * The trust test over `server.trusted_proxies`, memoised per address: proxy-addr parses the
 * address on every call (1–3.5 µs here), and fastify asks on every `request.ip`, while the
 * peers of a gateway are a handful of proxies. The memo is bounded: it is cleared past 4,096
 * distinct addresses, so a flood of clients cannot grow it.
 */
/** Most addresses whose trust is remembered (shared/bounded-memo.ts: all forgotten past it). */
export const trustMemoSize = 4096;

export function trustFunction(cidrs: readonly string[]): TrustFunction {
  const compiled = proxyAddr.compile([...cidrs]);
  const trusted = boundedMemo(trustMemoSize, (address: string) => compiled(address, 0));
  return (address) => trusted(address);
}
