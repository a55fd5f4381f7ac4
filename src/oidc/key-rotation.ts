/**
 * Rotation of the stored signing keys (`gatehouse oidc keys rotate`), so that relying parties
 * never meet a token they cannot verify:
 * - the new key is published in `/jwks.json` at once and signs only after `publishDelay`
 *   (default 1 hour: relying parties' JWKS caches see it first); with no key of its algorithm to
 *   take over from, it signs at once;
 * - every key of the algorithm that was to sign until then is marked to retire when the last
 *   token it can have signed has expired: the new key's activation + the longest lifespan of a
 *   signed token (`longestSignedLifespan`) + `retirementMargin` (5 minutes: covers the gateway's
 *   `keyReloadInterval` of 30 s and clock differences);
 * - a retired key leaves `/jwks.json` at its time and is deleted by the gateway's purge (and by
 *   the next rotation).
 * Keys configured in `identity_providers.oidc.jwks` are not stored and not rotated here.
 */
import type { OidcConfig, OidcSigningAlgorithm } from '../config/oidc.js';
import { lifespanGrants } from '../config/oidc-lifespans.js';
import type { OidcRepository } from '../storage/oidc-repositories.js';
import { type KeySchedule, generateSigningKey, signerOf } from './keys.js';
import { lifespanOf } from './lifespans.js';

export const rotationDefaults = {
  publishDelay: 3_600_000,
  retirementMargin: 5 * 60_000,
} as const;

/** What a rotation did. */
export interface Rotation {
  readonly added: { readonly kid: string; readonly algorithm: OidcSigningAlgorithm; readonly activatesAt: number };
  /** Keys now set to retire, with when. */
  readonly retiring: readonly { readonly kid: string; readonly retiresAt: number }[];
  /** Keys past their retirement, deleted on the way. */
  readonly deleted: readonly string[];
}

/** Where a key stands at a time: `signing` (its algorithm's signer), `published` (listed, not signing: new or spare), `retiring`, `retired` (gone from `/jwks.json`, to be deleted). */
export type KeyStatus = 'signing' | 'published' | 'retiring' | 'retired';

/**
 * The longest a token signed now can stay valid (ms): ID tokens of every client and grant, and
 * the access tokens of clients with JWT access tokens (RFC 9068), per `lifespans` and
 * `lifespans.custom`.
 */
export function longestSignedLifespan(config: OidcConfig): number {
  let longest = config.lifespans.idToken;
  for (const client of config.clients) {
    for (const grant of lifespanGrants) {
      longest = Math.max(longest, lifespanOf(config, client, grant, 'idToken'));
      if (client.accessTokenSignedResponseAlg !== 'none') longest = Math.max(longest, lifespanOf(config, client, grant, 'accessToken'));
    }
  }
  return longest;
}

/** Adds a generated key of `algorithm` (stored encrypted) and retires the ones it replaces; see the top of this file. */
export async function rotateSigningKey(
  repository: OidcRepository,
  config: OidcConfig,
  options: { readonly algorithm: OidcSigningAlgorithm; readonly publishDelay: number; readonly now: number },
): Promise<Rotation> {
  const { algorithm, now } = options;
  const deleted = await repository.deleteRetiredSigningKeys(now);
  const stored = await repository.signingKeys();
  const replaced = stored.filter((k) => k.algorithm === algorithm && k.retiresAt === undefined);
  const activatesAt = signerOf(stored, algorithm, now) === undefined ? now : now + options.publishDelay;
  let key = await generateSigningKey(algorithm);
  while (stored.some((k) => k.kid === key.kid)) key = await generateSigningKey(algorithm);
  await repository.addSigningKey({ kid: key.kid, algorithm, privateKey: key.pem, createdAt: now, activatesAt });
  const retiresAt = activatesAt + longestSignedLifespan(config) + rotationDefaults.retirementMargin;
  for (const old of replaced) await repository.retireSigningKey(old.kid, retiresAt);
  return { added: { kid: key.kid, algorithm, activatesAt }, retiring: replaced.map((k) => ({ kid: k.kid, retiresAt })), deleted };
}

/** The status of `key` among `keys` at `now`. */
export function keyStatus(keys: readonly KeySchedule[], key: KeySchedule, now: number): KeyStatus {
  if (key.retiresAt !== undefined && key.retiresAt <= now) return 'retired';
  if (signerOf(keys, key.algorithm, now) === key.kid) return 'signing';
  return key.retiresAt === undefined ? 'published' : 'retiring';
}
