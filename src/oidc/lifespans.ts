import type { LifespanGrant, LifespanSet, OidcClientConfig, OidcConfig } from '../config/oidc.js';

/**
 * How long a token of `kind` issued to `client` through `grant` lives (ms): the client's named
 * set (`lifespan` → `lifespans.custom.<name>`), its per-grant override first, else the global
 * `lifespans` (Authelia's rule).
 */
export function lifespanOf(config: OidcConfig, client: OidcClientConfig, grant: LifespanGrant, kind: keyof LifespanSet): number {
  const custom = client.lifespan === undefined ? undefined : config.lifespans.custom.get(client.lifespan);
  if (!custom) return config.lifespans[kind];
  const override = kind === 'authorizeCode' ? undefined : custom.grants[grant]?.[kind];
  return override ?? custom[kind];
}
