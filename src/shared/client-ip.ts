import ipaddr from 'ipaddr.js';
import { boundedMemo } from './bounded-memo.js';

/** Most addresses whose canonical text is remembered (a gateway sees a handful of proxies and its clients). */
export const canonicalIpMemoSize = 4096;

/**
 * The canonical text of a client address: IPv4-mapped IPv6 (`::ffff:10.0.0.8`, what a socket
 * listening on `::` reports for IPv4 clients) becomes plain IPv4, and IPv6 is compressed, so
 * that bans, logs and `networks` rules see one spelling per client.
 */
export const canonicalIp = boundedMemo(canonicalIpMemoSize, (address: string): string => {
  try {
    return ipaddr.process(address).toString();
  } catch {
    return address;
  }
});
