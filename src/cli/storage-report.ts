import type { Config } from '../config/config.js';
import type { StorageConfig } from '../config/storage.js';
import type { CopyReport } from '../storage/copy/copy.js';
import { storageLocation } from '../storage/open.js';

/** What `gatehouse storage copy` prints once the copy is committed. */
export interface CopySummary {
  readonly report: CopyReport;
  readonly source: StorageConfig;
  readonly target: StorageConfig;
  /** Migrations applied to the source when it was opened. */
  readonly migrated: readonly number[];
  /** How long the copy took (ms). */
  readonly elapsed: number;
}

/** The summary: what was done first, the rows per table with the total and the rate, what was re-encrypted and left alone. */
export function formatSummary({ report, source, target, migrated, elapsed }: CopySummary): string {
  const lines: string[] = [];
  if (migrated.length > 0) lines.push(`Migrated the source to schema version ${report.schemaVersion} first (applied ${migrated.join(', ')}).`);
  if (report.emptied.length > 0) lines.push(`Emptied the target first (--force): ${report.emptied.map((t) => `${rows(t.rows)} in ${t.table}`).join(', ')}.`);
  lines.push(`Copied ${describeStore(source)} to ${describeStore(target)} (schema version ${report.schemaVersion}):`);
  const width = Math.max(...report.tables.map((t) => t.table.length), 'total'.length);
  const total = report.tables.reduce((sum, t) => sum + t.rows, 0);
  const digits = String(total).length;
  for (const t of report.tables) lines.push(`  ${t.table.padEnd(width)}  ${String(t.rows).padStart(digits)}`);
  const rate = elapsed > 0 ? `, ${Math.round((total * 1000) / elapsed)} rows/s` : '';
  lines.push(`  ${'total'.padEnd(width)}  ${String(total).padStart(digits)} rows in ${(elapsed / 1000).toFixed(2)} s${rate}`);
  const recoded = report.reencrypted.filter((r) => r.values > 0);
  if (recoded.length > 0) {
    lines.push(`Re-encrypted under the target's storage.encryption_key: ${recoded.map((r) => `${r.what} (${r.values})`).join(', ')}.`);
  }
  if (report.ignored.length > 0) lines.push(`Left alone (not Gatehouse's tables): ${report.ignored.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** The engines by `storage` key, as the report names them. */
const engines = { local: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL' } as const;

/** `SQLite /var/lib/gatehouse/db.sqlite3`, `PostgreSQL tcp://db:5432 database 'gatehouse' schema 'public'`, `MySQL tcp://db:3306 database 'gatehouse'`. */
function describeStore(config: StorageConfig): string {
  return `${engines[config.kind]} ${storageLocation(config)}`;
}

/**
 * Codes and tokens are stored as HMAC digests under identity_providers.oidc.hmac_secret: with
 * another secret on the target, every one of them would be refused. Refused rather than warned:
 * the fix (the same secret in B) costs nothing, the mistake signs every user out of every app.
 * @returns the refusal, or undefined when the copy may go on.
 */
export function hmacRefusal(a: Config, b: Config): string | undefined {
  const [x, y] = [a.identityProviders.oidc, b.identityProviders.oidc];
  if (!x || !y || x.hmacSecret === y.hmacSecret) return undefined;
  return (
    'the two configurations have different identity_providers.oidc.hmac_secret values: the stored authorization codes, ' +
    'access and refresh tokens are kept as HMAC digests under it, so none of them would work on the target. ' +
    "Give --to's configuration the same hmac_secret (change it later, if you must, knowing that every client must sign in again)"
  );
}

/** What to know when only the source provides OpenID Connect. */
export function oidcNotes(a: Config, b: Config): string[] {
  if (!a.identityProviders.oidc || b.identityProviders.oidc) return [];
  return [
    "Note: --to's configuration has no identity_providers.oidc: the OpenID Connect records were copied, and its codes and tokens work once it has the same hmac_secret as --from's.",
  ];
}

function rows(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
