/**
 * The OpenID Connect signing keys as `gatehouse oidc keys list|rotate` sees them: the CLI's door
 * to oidc/keys.ts and oidc/key-rotation.ts (cli/ does not import oidc/).
 */
import type { OidcConfig, OidcSigningAlgorithm } from '../config/oidc.js';
import { type KeyStatus, type Rotation, keyStatus, longestSignedLifespan, rotateSigningKey, rotationDefaults } from '../oidc/key-rotation.js';
import { configuredKeyIds, keyReloadInterval } from '../oidc/keys.js';
import type { OidcRepository } from '../storage/oidc-repositories.js';

export type { KeyStatus, Rotation };
export { keyReloadInterval, longestSignedLifespan, rotationDefaults };

/** One line of `gatehouse oidc keys list`; times are undefined for configured keys. */
export interface SigningKeyRow {
  readonly kid: string;
  readonly algorithm: string;
  readonly createdAt: number | undefined;
  readonly activatesAt: number | undefined;
  readonly retiresAt: number | undefined;
  readonly status: KeyStatus;
}

/**
 * The keys the provider signs with: `configured` (from `identity_providers.oidc.jwks`, the first
 * of each algorithm signing) or `stored` (generated, rotated), oldest first.
 */
export async function listSigningKeys(
  config: OidcConfig,
  repository: OidcRepository,
  now: number,
): Promise<{ readonly source: 'configured' | 'stored'; readonly rows: readonly SigningKeyRow[] }> {
  if (config.jwks.length > 0) {
    const ids = await configuredKeyIds(config.jwks);
    const rows = ids.map((k, index) => ({
      kid: k.kid,
      algorithm: k.algorithm,
      createdAt: undefined,
      activatesAt: undefined,
      retiresAt: undefined,
      status: ids.findIndex((other) => other.algorithm === k.algorithm) === index ? ('signing' as const) : ('published' as const),
    }));
    return { source: 'configured', rows };
  }
  const stored = await repository.signingKeys();
  const rows = stored.map((k) => ({
    kid: k.kid,
    algorithm: k.algorithm,
    createdAt: k.createdAt,
    activatesAt: k.activatesAt ?? k.createdAt,
    retiresAt: k.retiresAt,
    status: keyStatus(stored, k, now),
  }));
  return { source: 'stored', rows };
}

/**
 * Rotates the stored key of `algorithm` (oidc/key-rotation.ts).
 * @throws Error when the keys are configured in `identity_providers.oidc.jwks` (check `config.jwks` first).
 */
export async function rotateStoredSigningKey(
  config: OidcConfig,
  repository: OidcRepository,
  options: { readonly algorithm: OidcSigningAlgorithm; readonly publishDelay: number; readonly now: number },
): Promise<Rotation> {
  if (config.jwks.length > 0) throw new Error('the signing keys are configured in identity_providers.oidc.jwks; they are not rotated by Gatehouse');
  return rotateSigningKey(repository, config, options);
}
