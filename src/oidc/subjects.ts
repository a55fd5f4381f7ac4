import type { OidcClientConfig } from '../config/oidc.js';

/**
 * The sector of a client's subjects (OIDC Core §8.1): the host of its `sector_identifier_uri`
 * when it has one (clients naming the same host share subjects), else, for `subject_type:
 * pairwise`, the host of its redirect URIs (the configuration makes sure there is one); ''
 * (the public sector, one subject per user across clients) otherwise. Subjects are random UUIDs
 * per (user, sector), stored (Authelia's scheme), so they reveal nothing and never change.
 *
 * `sector_identifier_uri` is not fetched: clients are configured by the operator, who vouches for
 * them (OIDC Registration §5's check protects dynamic registration, which Gatehouse does not offer).
 */
export function sectorOf(client: OidcClientConfig): string {
  if (client.sectorIdentifierUri !== undefined) return new URL(client.sectorIdentifierUri).host;
  if (client.subjectType === 'pairwise') return new URL(client.redirectUris[0] ?? 'https://invalid').host;
  return '';
}
