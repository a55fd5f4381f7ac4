import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import { createPrivateKey } from 'node:crypto';
import type { OidcJwkConfig, OidcSigningAlgorithm } from '../config/oidc.js';
import type { Clock } from '../shared/clock.js';
import type { OidcRepository, StoredSigningKey } from '../storage/oidc-repositories.js';

/** One signing key: the private half for signing, the public JWK for `/jwks.json`. */
export interface SigningKey {
  readonly kid: string;
  readonly algorithm: OidcSigningAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** When a key is published, signs and retires (key rotation); configured keys have no times. */
export interface KeySchedule {
  readonly kid: string;
  readonly algorithm: string;
  readonly createdAt: number;
  /** From when it may sign; undefined: since it was created. */
  readonly activatesAt?: number | undefined;
  /** When it leaves `/jwks.json` (and is deleted); undefined: not retiring. */
  readonly retiresAt?: number | undefined;
}

/**
 * How often a running gateway reads the stored keys again, so that a rotation made by
 * `gatehouse oidc keys rotate` (another process, the same database) is published and used
 * within this time, without a restart.
 */
export const keyReloadInterval = 30_000;

/**
 * The provider's signing keys: those configured in `jwks`, or — when none are — the keys kept in
 * storage, an RS256 key being generated (and stored encrypted) at the first start. Stored keys
 * rotate (key-rotation.ts): every key not yet retired is published; of each algorithm the signer
 * is `signerOf`'s choice at the time of signing; `reload` reads storage again.
 */
export class KeyStore {
  #entries: { key: SigningKey; schedule: KeySchedule }[];
  #fingerprint: string;
  readonly #repository: OidcRepository | undefined;
  readonly #clock: Clock;

  private constructor(entries: { key: SigningKey; schedule: KeySchedule }[], repository: OidcRepository | undefined, clock: Clock) {
    this.#entries = entries;
    this.#fingerprint = fingerprintOf(entries.map((e) => e.schedule));
    this.#repository = repository;
    this.#clock = clock;
  }

  /**
   * @param needed the algorithms clients sign with (ID tokens, userinfo, access tokens): without
   * configured keys, one of each missing is generated and stored (RS256 always).
   * @throws Error when a stored key cannot be decrypted (another storage key).
   */
  static async load(
    configured: readonly OidcJwkConfig[],
    repository: OidcRepository,
    clock: Clock,
    needed: readonly OidcSigningAlgorithm[] = [],
  ): Promise<KeyStore> {
    if (configured.length > 0) {
      // Configured keys are never rotated by Gatehouse; the first listed of an algorithm signs
      // (activation times that decrease with the position say so to `signerOf`).
      const keys = await Promise.all(configured.map((k) => importKey(k.key, k.algorithm, k.keyId)));
      return new KeyStore(
        keys.map((key, index) => ({ key, schedule: { kid: key.kid, algorithm: key.algorithm, createdAt: 0, activatesAt: -index } })),
        undefined,
        clock,
      );
    }
    let stored = await repository.signingKeys();
    for (const algorithm of new Set<OidcSigningAlgorithm>(['RS256', ...needed])) {
      if (stored.some((k) => k.algorithm === algorithm)) continue;
      const key = await generateSigningKey(algorithm);
      // Instances starting together on one database: the first key stored is the one all of them use.
      await repository.addSigningKeyIfNone({ kid: key.kid, algorithm, privateKey: key.pem, createdAt: clock.now() });
      stored = await repository.signingKeys();
    }
    return new KeyStore(await importStored(stored, new Map()), repository, clock);
  }

  /** Every key not retired at this time (pending, signing, retiring): what `/jwks.json` lists. */
  get keys(): readonly SigningKey[] {
    return this.#published().map((e) => e.key);
  }

  /**
   * The key to sign with for `algorithm` now (`signerOf`), or the key `keyId` names (a client's
   * `*_signed_response_key_id`, checked against the configured keys at load).
   * @throws Error when there is none.
   */
  signer(algorithm: OidcSigningAlgorithm, keyId?: string): SigningKey {
    if (keyId !== undefined) {
      const named = this.#published().find((e) => e.key.kid === keyId);
      if (!named) throw new Error(`no signing key '${keyId}'`);
      return named.key;
    }
    const kid = signerOf(
      this.#entries.map((e) => e.schedule),
      algorithm,
      this.#clock.now(),
    );
    const entry = this.#entries.find((e) => e.key.kid === kid);
    if (!entry) throw new Error(`no signing key for ${algorithm}`);
    return entry.key;
  }

  /** The JWK Set document (public keys only): every key not retired, new ones before they sign. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /**
   * Every public key Gatehouse has signed with and still holds — published ones and retired ones
   * not yet deleted — for checking a token of ours that may have outlived its key's publication
   * (an expired `id_token_hint` at the end-session endpoint).
   */
  verificationJwks(): { keys: JWK[] } {
    return { keys: this.#entries.map((e) => e.key.publicJwk) };
  }

  /** The algorithms there is a signer for now. */
  algorithms(): OidcSigningAlgorithm[] {
    const now = this.#clock.now();
    const schedules = this.#entries.map((e) => e.schedule);
    return [...new Set(this.#entries.map((e) => e.key.algorithm))].filter((a) => signerOf(schedules, a, now) !== undefined);
  }

  /**
   * Reads the stored keys again (not configured ones); imports only keys it has not seen. A read
   * that finds no RS256 key keeps the current keys.
   * @returns whether anything changed.
   */
  async reload(): Promise<boolean> {
    if (!this.#repository) return false;
    const stored = await this.#repository.signingKeys();
    const fingerprint = fingerprintOf(stored);
    if (fingerprint === this.#fingerprint || !stored.some((k) => k.algorithm === 'RS256')) return false;
    const known = new Map(this.#entries.map((e) => [e.key.kid, e.key]));
    this.#entries = await importStored(stored, known);
    this.#fingerprint = fingerprint;
    return true;
  }

  /**
   * Calls `reload` every `interval` ms until the returned function is called; logs what changed
   * (info) and failures (error).
   */
  startReloading(interval: number, logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void }): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.reload()
        .then((changed) => {
          if (changed) logger.info({ keys: this.keys.map((k) => k.kid) }, 'OpenID Connect signing keys reloaded');
        })
        .catch((error: unknown) => logger.error({ err: error }, 'reloading the OpenID Connect signing keys failed'))
        .finally(() => {
          running = false;
        });
    }, interval);
    timer.unref();
    return () => clearInterval(timer);
  }

  #published() {
    const now = this.#clock.now();
    return this.#entries.filter((e) => e.schedule.retiresAt === undefined || e.schedule.retiresAt > now);
  }
}

/**
 * The kid that signs for `algorithm` at `now`: among keys of the algorithm active by then
 * (`activatesAt`, else `createdAt`) and not retired, the latest activated that is not retiring;
 * when every active key is retiring (a rotation's publish delay), the latest activated of them.
 */
export function signerOf(keys: readonly KeySchedule[], algorithm: string, now: number): string | undefined {
  const active = keys
    .filter((k) => k.algorithm === algorithm && activationOf(k) <= now && (k.retiresAt === undefined || k.retiresAt > now))
    .sort((a, b) => activationOf(b) - activationOf(a) || b.createdAt - a.createdAt);
  return (active.find((k) => k.retiresAt === undefined) ?? active[0])?.kid;
}

/** When a key starts signing. */
export function activationOf(key: KeySchedule): number {
  return key.activatesAt ?? key.createdAt;
}

/** A new key pair for `algorithm` (RSA 2048 or P-256), its PKCS#8 PEM and its default kid. */
export async function generateSigningKey(algorithm: OidcSigningAlgorithm): Promise<{ kid: string; pem: string }> {
  const { privateKey } = await generateKeyPair(algorithm, { modulusLength: 2048, extractable: true });
  const pem = await exportPKCS8(privateKey);
  return { kid: (await importKey(pem, algorithm, undefined)).kid, pem };
}

/** The configured keys' ids (`key_id`, or the derived default), in order. */
export async function configuredKeyIds(configured: readonly OidcJwkConfig[]): Promise<{ kid: string; algorithm: OidcSigningAlgorithm }[]> {
  return Promise.all(configured.map(async (k) => ({ kid: (await importKey(k.key, k.algorithm, k.keyId)).kid, algorithm: k.algorithm })));
}

async function importStored(stored: readonly StoredSigningKey[], known: ReadonlyMap<string, SigningKey>) {
  return Promise.all(
    stored.map(async (s) => ({
      key: known.get(s.kid) ?? (await importKey(s.privateKey, s.algorithm as OidcSigningAlgorithm, s.kid)),
      schedule: { kid: s.kid, algorithm: s.algorithm, createdAt: s.createdAt, activatesAt: s.activatesAt, retiresAt: s.retiresAt },
    })),
  );
}

function fingerprintOf(keys: readonly KeySchedule[]): string {
  return keys.map((k) => `${k.kid}/${k.algorithm}/${k.createdAt}/${k.activatesAt ?? ''}/${k.retiresAt ?? ''}`).join(' ');
}

async function importKey(pem: string, algorithm: OidcSigningAlgorithm, kid: string | undefined): Promise<SigningKey> {
  // jose reads PKCS#8 only; PKCS#1 / SEC1 PEM from the configuration is converted first.
  const pkcs8 = pem.includes('BEGIN PRIVATE KEY') ? pem : createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKey = await importPKCS8(pkcs8, algorithm, { extractable: true });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = await exportJWK(privateKey);
  const thumbprint = await calculateJwkThumbprint(publicPart, 'sha256');
  // Authelia's default key id: 7 hex digits of the SHA-256 thumbprint, '-', the algorithm.
  const keyId = kid ?? `${Buffer.from(thumbprint, 'base64url').toString('hex').slice(0, 7)}-${algorithm.toLowerCase()}`;
  return { kid: keyId, algorithm, privateKey, publicJwk: { ...publicPart, kid: keyId, alg: algorithm, use: 'sig' } };
}
