/**
 * What the network SQL providers (PostgreSQL, MySQL/MariaDB) read in their drivers' errors alike:
 * Node.js's network codes and the TLS verification failures, in words for the log and for
 * `/api/health` (never with the address).
 */

/** A connection that could not be made, at start-up: why, for "cannot connect to ADDRESS: …". */
export const unreachable: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing accepts connections there',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name cannot be resolved',
  EAI_AGAIN: 'the host name cannot be resolved now',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
  ETIMEDOUT: 'the connection timed out',
  ENOENT: 'there is no socket there',
  EACCES: 'permission to the socket is denied',
};

/** A server that cannot be reached, or a connection lost, while running: the outage's reason. */
export const network: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  EHOSTDOWN: 'host down',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  ENOTFOUND: 'host name not resolved',
  EAI_AGAIN: 'host name not resolved',
  ENOENT: 'no socket at the address',
};

/** TLS verification failures (Node.js / OpenSSL codes). */
export const untrusted =
  /^(?:ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(?:VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(?:_LOCALLY)?)|CERT_\w+)$/;

/** A driver error's `code` (or '') and its message (or the error as text). */
export function codeAndText(error: unknown): { code: string; text: string } {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : '',
    text: typeof e?.message === 'string' && e.message !== '' ? e.message : String(error),
  };
}
