import { readFileSync, readdirSync } from 'node:fs';

/** One numbered migration file: `0003-oidc.sql` is version 3, named `oidc`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The numbered migration files of a provider's `migrations/` folder, in order. Every provider
 * has the same numbers and names (the same change, in its own SQL), checked by a test.
 */
export function readMigrations(folder: URL): Migration[] {
  return readdirSync(folder)
    .map((file) => /^(\d{4})-([a-z0-9-]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(new URL(m[0], folder), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}
