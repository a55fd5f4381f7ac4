import { Agent, fetch as undiciFetch } from 'undici';
import { type CertificatesConfig, trustedAuthorities } from '../config/certificates.js';

/**
 * The fetch Gatehouse's own outgoing HTTPS requests use (a client's `jwks_uri`, back-channel
 * logout deliveries): Node's, unless `certificates_directory` adds certificate authorities; then
 * undici's fetch with an agent that trusts them next to Node's built-in roots, as Authelia adds
 * its folder to the system pool. (Node 20's global fetch takes no extra authorities, and
 * `NODE_EXTRA_CA_CERTS` is read only at start-up from the environment.)
 */
export function outgoingFetch(certificates: CertificatesConfig): typeof fetch | undefined {
  const ca = trustedAuthorities(certificates);
  if (ca === undefined) return undefined;
  const dispatcher = new Agent({ connect: { ca: [...ca] } });
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
}

/** `{ fetch }` when there is one to give, else nothing: spread into options whose `fetch` defaults to Node's. */
export function withFetch(fetch: typeof globalThis.fetch | undefined): { fetch?: typeof globalThis.fetch } {
  return fetch === undefined ? {} : { fetch };
}
