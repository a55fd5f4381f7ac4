/**
 * A client's public keys, for `private_key_jwt` assertions (RFC 7523 §3) and signed request
 * objects (RFC 9101 §6.2): the client's `jwks` from the configuration (PEM, converted once), or
 * the JWK Set at its `jwks_uri` (OIDC Registration §2), which is
 * - fetched only from https, or http on `localhost`, `*.localhost` or a loopback address (checked
 *   again here, whatever the configuration let through), redirects refused;
 * - given `timeoutMs` (5 s) for the whole answer and at most `maxBytes` (512 KiB) of body;
 * - cached for its `Cache-Control: max-age` bounded to 1 minute … 1 hour (5 minutes without one);
 * - fetched again before then only for a `kid` the cached set lacks, at most once per
 *   `refetchCooldown` (30 s) per URL, and never twice at the same time: an attacker sending
 *   made-up key ids cannot make Gatehouse hammer the client's server;
 * - after a failed fetch, not fetched again for `refetchCooldown` (the failure is repeated).
 * Every failure is a `ClientKeysError` whose message is for the log only.
 */
import { type JWK, type JWSHeaderParameters, type JWTVerifyGetKey, createLocalJWKSet, exportJWK, importSPKI } from 'jose';
import type { OidcClientConfig } from '../config/oidc.js';
import type { Clock } from '../shared/clock.js';
import { GatehouseError } from '../shared/errors.js';

/** Why a client's keys could not be had (a fetch that failed, a set with no key); safe to log, not to send. */
export class ClientKeysError extends GatehouseError {
  constructor(message: string) {
    super('GH_CLIENT_KEYS', message);
  }
}

export interface ClientKeysOptions {
  readonly clock: Clock;
  /** The fetch to use (default: Node's). */
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Cache lifetime when the answer has no usable `max-age`. */
  readonly ttl?: number;
  readonly minTtl?: number;
  readonly maxTtl?: number;
  /** The least time between two fetches of one URL other than for an expired cache. */
  readonly refetchCooldown?: number;
}

export const clientKeysDefaults = {
  timeoutMs: 5_000,
  maxBytes: 512 * 1024,
  ttl: 5 * 60_000,
  minTtl: 60_000,
  maxTtl: 3_600_000,
  refetchCooldown: 30_000,
} as const;

/** One URL's cache entry: the last set fetched (or the last failure) and when. */
interface Entry {
  keys: JwkSet | undefined;
  error: ClientKeysError | undefined;
  expiresAt: number;
  attemptedAt: number;
  pending: Promise<void> | undefined;
}

/** A fetched or configured JWK Set with its resolver (built once, so imported keys are reused). */
interface JwkSet {
  readonly kids: ReadonlySet<string>;
  readonly resolve: JWTVerifyGetKey;
}

/** The clients' key sets, built once by server/ and shared by client authentication and the authorization endpoint. */
export class ClientKeys {
  readonly #options: Required<Omit<ClientKeysOptions, 'fetch'>> & { fetch: typeof fetch };
  readonly #remote = new Map<string, Entry>();
  readonly #configured = new WeakMap<OidcClientConfig, Promise<JwkSet>>();

  constructor(options: ClientKeysOptions) {
    this.#options = { ...clientKeysDefaults, fetch: (input, init) => globalThis.fetch(input, init), ...options };
  }

  /**
   * A key resolver for `jwtVerify` over the client's keys: for a `jwks_uri`, a `kid` missing from
   * the cached set first triggers a refetch (rate-limited, see above).
   * @throws ClientKeysError (from the resolver) when the keys cannot be had; jose's errors when no key matches.
   */
  resolverFor(client: OidcClientConfig): JWTVerifyGetKey {
    return async (header, token) => (await this.#setFor(client, header))(header, token);
  }

  async #setFor(client: OidcClientConfig, header: JWSHeaderParameters): Promise<JWTVerifyGetKey> {
    if (client.jwksUri !== undefined) return (await this.#remoteSet(client.jwksUri, header.kid)).resolve;
    if (client.jwks.length === 0) throw new ClientKeysError(`the client '${client.id}' has neither jwks nor jwks_uri`);
    let set = this.#configured.get(client);
    if (!set) {
      set = configuredSet(client);
      this.#configured.set(client, set);
    }
    return (await set).resolve;
  }

  async #remoteSet(url: string, kid: string | undefined): Promise<JwkSet> {
    const { clock, refetchCooldown } = this.#options;
    let entry = this.#remote.get(url);
    if (!entry) {
      entry = { keys: undefined, error: undefined, expiresAt: 0, attemptedAt: Number.NEGATIVE_INFINITY, pending: undefined };
      this.#remote.set(url, entry);
    }
    const fresh = entry.keys !== undefined && clock.now() < entry.expiresAt;
    if (fresh && (kid === undefined || entry.keys!.kids.has(kid))) return entry.keys!;
    // Expired, never fetched, or missing the kid: one fetch at a time, at most one per cooldown
    // (an expired set was fetched at least `minTtl` ago, so only failures and unknown kids wait).
    if (entry.pending) await entry.pending;
    else if (clock.now() - entry.attemptedAt >= refetchCooldown) {
      const refreshing = this.#refresh(url, entry);
      entry.pending = refreshing;
      await refreshing;
      entry.pending = undefined;
    }
    if (entry.keys !== undefined && clock.now() < entry.expiresAt) return entry.keys;
    throw entry.error ?? new ClientKeysError(`the keys at '${url}' have expired and were fetched less than ${refetchCooldown / 1000} s ago`);
  }

  async #refresh(url: string, entry: Entry): Promise<void> {
    const now = this.#options.clock.now();
    entry.attemptedAt = now;
    try {
      const { keys, maxAge } = await this.#fetch(url);
      const { ttl, minTtl, maxTtl } = this.#options;
      entry.keys = keys;
      entry.error = undefined;
      entry.expiresAt = now + (maxAge === undefined ? ttl : Math.min(Math.max(maxAge, minTtl), maxTtl));
    } catch (error) {
      // A set still fresh stays usable: a failed refetch for an unknown kid must not lock out known keys.
      entry.error = error instanceof ClientKeysError ? error : new ClientKeysError(`fetching '${url}' failed: ${(error as Error).message}`);
    }
  }

  async #fetch(url: string): Promise<{ keys: JwkSet; maxAge: number | undefined }> {
    const { timeoutMs, maxBytes } = this.#options;
    if (!fetchableUrl(url)) throw new ClientKeysError(`'${url}' is neither https nor http on a loopback name`);
    const signal = AbortSignal.timeout(timeoutMs);
    let text: string;
    let cacheControl: string | null;
    try {
      const response = await this.#options.fetch(url, { signal, redirect: 'error', headers: { accept: 'application/jwk-set+json, application/json' } });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new ClientKeysError(`'${url}' answered ${response.status}`);
      }
      cacheControl = response.headers.get('cache-control');
      text = await readLimited(response, maxBytes, url);
    } catch (error) {
      if (error instanceof ClientKeysError) throw error;
      if (signal.aborted) throw new ClientKeysError(`'${url}' did not answer within ${timeoutMs} ms`);
      throw new ClientKeysError(`fetching '${url}' failed: ${(error as Error).message}`);
    }
    return { keys: await parseJwkSet(text, url), maxAge: maxAgeOf(cacheControl) };
  }
}

/** https anywhere; http only to `localhost`, `*.localhost` and loopback addresses (RFC 6761 §6.3). */
export function fetchableUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/.test(url.hostname);
}

async function readLimited(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new ClientKeysError(`'${url}' answered ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new ClientKeysError(`'${url}' answered more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Seconds of `max-age` as milliseconds; `no-store` / `no-cache` as 0; undefined without either. */
function maxAgeOf(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  if (/(?:^|,)\s*no-(?:store|cache)\s*(?:,|$)/i.test(cacheControl)) return 0;
  const seconds = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/i.exec(cacheControl)?.[1];
  return seconds === undefined ? undefined : Number(seconds) * 1000;
}

/**
 * A JWK Set document (RFC 7517 §5): `keys` a list of objects with `kty`. Encryption keys
 * (`use: enc`) and symmetric ones (`kty: oct`) are left out, private members dropped.
 */
async function parseJwkSet(text: string, url: string): Promise<JwkSet> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ClientKeysError(`'${url}' did not answer JSON`);
  }
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { keys?: unknown }).keys)) {
    throw new ClientKeysError(`'${url}' did not answer a JWK Set (an object with a 'keys' list)`);
  }
  const keys: JWK[] = [];
  for (const entry of (document as { keys: unknown[] }).keys) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, k: _k, ...jwk } = entry as JWK & { oth?: unknown };
    if (typeof jwk.kty !== 'string' || jwk.kty === 'oct' || jwk.use === 'enc') continue;
    keys.push(jwk);
  }
  if (keys.length === 0) throw new ClientKeysError(`'${url}' answered a JWK Set without a signing key`);
  return jwkSet(keys);
}

async function configuredSet(client: OidcClientConfig): Promise<JwkSet> {
  const keys = await Promise.all(
    client.jwks.map(async (k) => ({ ...(await exportJWK(await importSPKI(k.key, k.algorithm))), alg: k.algorithm, ...(k.keyId ? { kid: k.keyId } : {}) })),
  );
  return jwkSet(keys);
}

function jwkSet(keys: JWK[]): JwkSet {
  return { kids: new Set(keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : []))), resolve: createLocalJWKSet({ keys }) };
}
