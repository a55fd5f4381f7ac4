/**
 * What `storage copy` moves: every data table of the numbered migrations, by name, and every
 * value in them that is encrypted under `storage.encryption_key`, with the associated data it is
 * bound to. Both lists are explicit: a migration that adds a table or an encrypted value must add
 * it here (the copy refuses a schema holding a table it does not know, and a test compares this
 * list with the migrated schema).
 */
import { totpEnrolmentContext, signingKeyContext, totpSecretContext } from '../rows.js';
import type { ColumnCipher } from '../storage.js';
import type { CopiedRow, CopiedValue } from './table-io.js';

/** The data tables, in the order they are copied (no foreign keys: any order would do). */
export const copiedTables = [
  // 0001
  'sessions',
  // 0002
  'authentication_logs',
  'banned_user',
  'banned_ip',
  'totp_configurations',
  'totp_history',
  'one_time_code',
  // 0003
  'oidc_signing_keys',
  'oidc_subjects',
  'oidc_pending_authorizations',
  'oidc_authorization_codes',
  'oidc_tokens',
  'oidc_consents',
  'oidc_jti',
  'oidc_issuance_log',
  // 0004
  'oidc_grants',
  // 0005
  'oidc_logout_deliveries',
  // 0006
  'webauthn_credentials',
  'webauthn_users',
  'user_preferences',
] as const;

/**
 * Tables that describe the store itself and are not copied: the target keeps its own. `migrations`
 * records how the target reached the current schema (the copy requires both at the same version);
 * `encryption` holds the check value of the target's key, written when the target was opened.
 */
export const bookkeepingTables = ['migrations', 'encryption'] as const;

/** A value encrypted under the storage key, found in one column of a table. */
export interface EncryptedValue {
  readonly table: (typeof copiedTables)[number];
  readonly column: string;
  /** What it is, for the summary ('TOTP secrets'). */
  readonly what: string;
  /** The associated data of the value in `row` (as the repositories bind it). */
  readonly context: (row: CopiedRow) => string;
  /**
   * The column's new value: decrypted with `from`, encrypted with `to`; `undefined` when this row
   * holds no encrypted value there.
   * @throws StorageError `GH_STORAGE_DECRYPT` when `from` cannot decrypt it.
   */
  recode(row: CopiedRow, from: ColumnCipher, to: ColumnCipher): CopiedValue | undefined;
}

/** A column holding the encrypted value itself (BLOB / BYTEA). */
function wholeColumn(table: EncryptedValue['table'], column: string, what: string, context: (row: CopiedRow) => string): EncryptedValue {
  return {
    table,
    column,
    what,
    context,
    recode(row, from, to) {
      const value = row[column];
      if (!Buffer.isBuffer(value)) return undefined;
      return to.encrypt(from.decrypt(value, context(row)), context(row));
    },
  };
}

/** A session's state (JSON) as far as the sealed TOTP enrolment goes: the portal keeps the pending secret sealed (base64) in it for a few minutes. */
interface SealedEnrolmentState {
  username?: unknown;
  flows?: { totpEnrolment?: { sealed?: unknown } };
}

const pendingEnrolment: EncryptedValue = {
  table: 'sessions',
  column: 'data',
  what: 'TOTP enrolments in progress',
  context: (row) => totpEnrolmentContext(String(parseState(row)?.username ?? '')),
  recode(row, from, to) {
    const state = parseState(row);
    const flow = state?.flows?.totpEnrolment;
    if (!flow || typeof flow.sealed !== 'string') return undefined;
    const context = totpEnrolmentContext(String(state.username ?? ''));
    flow.sealed = to.encrypt(from.decrypt(Buffer.from(flow.sealed, 'base64'), context), context).toString('base64');
    return JSON.stringify(state);
  },
};

function parseState(row: CopiedRow): SealedEnrolmentState | undefined {
  const data = row.data;
  if (typeof data !== 'string' || !data.includes('"totpEnrolment"')) return undefined;
  try {
    return JSON.parse(data) as SealedEnrolmentState;
  } catch {
    // The session store drops a row it cannot parse; copied as it is.
    return undefined;
  }
}

/** Every value encrypted under `storage.encryption_key`. */
export const encryptedValues: readonly EncryptedValue[] = [
  wholeColumn('totp_configurations', 'secret', 'TOTP secrets', (row) => totpSecretContext(String(row.username))),
  wholeColumn('oidc_signing_keys', 'private_key', 'OpenID Connect signing keys', (row) => signingKeyContext(String(row.kid))),
  pendingEnrolment,
];
