import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/config.js';
import type { StorageConfig } from '../config/storage.js';
import { systemClock } from '../shared/clock.js';
import { GatehouseError } from '../shared/errors.js';
import { TargetNotEmptyError, copyStorage } from '../storage/copy/copy.js';
import { storageExists } from '../storage/copy/providers.js';
import { type OpenedStorage, openStorage, storageLocation } from '../storage/open.js';
import { loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';
import { formatSummary, hmacRefusal, oidcNotes } from './storage-report.js';
import { appVersion } from './version.js';

export const storageHelp = `Usage: gatehouse storage copy --from CONFIG_A --to CONFIG_B [--force]

Copies every record Gatehouse stores from the storage of one configuration to the storage of
another: SQLite to PostgreSQL, PostgreSQL to SQLite, or SQLite to SQLite.

  copy   opens CONFIG_A's storage as the gateway does (its storage.encryption_key is checked,
         and it is migrated to this version's schema when older) and reads it as one snapshot,
         in batches; opens CONFIG_B's storage (created and migrated when missing) and writes
         every record into it in one transaction, all or nothing: sessions, TOTP keys and used
         codes, bans and authentication logs, one-time codes, and the OpenID Connect signing
         keys, subjects, pending requests, codes, grants, tokens, consents, client assertion
         ids, audit trail and back-channel logout queue. Secrets encrypted at rest (TOTP keys,
         signing keys) are decrypted with A's storage.encryption_key and encrypted with B's.
         Prints the rows copied per table.

Stop the gateway before copying: what it writes during the copy is not copied.

Refused, leaving the target unchanged, when:
  - the target holds any record (any row in any table but its own bookkeeping), unless --force;
  - both configurations have identity_providers.oidc with different hmac_secret values: codes
    and tokens are stored as HMAC digests under it, so none would work on the target;
  - --from names no store (nothing to copy), or the same store as --to.

Options:
      --from FILE   the configuration whose storage is read
      --to FILE     the configuration whose storage is written
      --force       empty the target first: every record it holds is lost
  -h, --help        show this help
`;

const command = 'storage copy';

/** `gatehouse storage copy --from A --to B [--force]`: exit 0 once committed, 1 with the target unchanged, 2 on a usage mistake. */
export async function storageCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'storage',
    args,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help || positionals.length === 0) {
    io.stdout.write(storageHelp);
    return values.help ? exitCodes.ok : exitCodes.usage;
  }
  if (positionals[0] !== 'copy' || positionals.length > 1) {
    throw new UsageError(`gatehouse storage: expects 'copy'; run 'gatehouse storage --help'`);
  }
  const { from, to } = values;
  if (!from || !to) throw new UsageError(`gatehouse ${command}: needs --from CONFIG_A and --to CONFIG_B`);
  const a = loadConfigOrReport(from, io)?.config;
  if (!a) return exitCodes.failure;
  const b = loadConfigOrReport(to, io)?.config;
  if (!b) return exitCodes.failure;
  try {
    await copy({ from, to, a, b, force: values.force === true }, io);
    return exitCodes.ok;
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    io.stderr.write(`gatehouse ${command}: ${error.message}\n`);
    return exitCodes.failure;
  }
}

interface Sides {
  /** The configuration files, as given. */
  readonly from: string;
  readonly to: string;
  readonly a: Config;
  readonly b: Config;
  readonly force: boolean;
}

/**
 * Checks what can be checked before opening anything, opens both stores (the source as the
 * gateway would: key checked, migrated; the target created and migrated when missing), copies,
 * and prints the summary.
 * @throws GatehouseError whose message says which side and what to do; nothing was written to the target.
 */
async function copy({ from, to, a, b, force }: Sides, io: CliIO): Promise<void> {
  const refuse = (message: string) => new GatehouseError('GH_STORAGE_COPY', message);
  const source = storageLocation(a.storage);
  if (sameStore(a.storage, b.storage)) throw refuse(`--from '${from}' and --to '${to}' name the same store (${source}): there is nothing to copy`);
  const hmac = hmacRefusal(a, b);
  if (hmac) throw refuse(hmac);
  const onSide = async <T>(side: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof GatehouseError) throw new GatehouseError(error.code, `${side}: ${error.message}`, { cause: error });
      throw error;
    }
  };
  if (!(await onSide(`--from '${from}'`, () => storageExists(a.storage)))) throw refuse(`--from '${from}': there is no Gatehouse storage at ${source} to copy`);

  const opened: { source?: OpenedStorage; target?: OpenedStorage } = {};
  try {
    opened.source = await onSide(`--from '${from}'`, () => openStorage(a.storage, { clock: systemClock, appVersion }));
    opened.target = await onSide(`--to '${to}'`, () => openStorage(b.storage, { clock: systemClock, appVersion }));
    const started = systemClock.now();
    const report = await copyStorage(opened.source, opened.target, { force }).catch((error: unknown) => {
      if (error instanceof TargetNotEmptyError) {
        const hint = 'point --to at an empty store, or add --force to empty it first (what it holds is lost)';
        throw new GatehouseError(error.code, `--to '${to}': ${error.message}; ${hint}`, { cause: error });
      }
      if (error instanceof GatehouseError) throw new GatehouseError(error.code, `${error.message}; nothing was written to the target`, { cause: error });
      throw error;
    });
    const elapsed = systemClock.now() - started;
    io.stdout.write(formatSummary({ report, source: a.storage, target: b.storage, migrated: opened.source.applied, elapsed }));
    for (const note of oidcNotes(a, b)) io.stdout.write(`${note}\n`);
  } finally {
    await opened.source?.close();
    await opened.target?.close();
  }
}

/** The same SQLite file, or the same PostgreSQL address, database and schema. */
function sameStore(a: StorageConfig, b: StorageConfig): boolean {
  if (a.kind === 'local' && b.kind === 'local') return canonicalPath(a.local.path) === canonicalPath(b.local.path);
  return storageLocation(a) === storageLocation(b);
}

function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
