/**
 * The rows of the SQL tables as the providers (SQLite, PostgreSQL, MySQL) read them — the same
 * columns, times as numbers — and their mapping to the storage types, both ways: what a row reads
 * as, and the values an INSERT writes, in the order of the columns named here. Also the associated
 * data that binds an encrypted column value to its row.
 */
import type {
  GrantData,
  IssuanceEvent,
  LogoutDelivery,
  PendingAuthorization,
  StoredAuthorizationCode,
  StoredGrant,
  StoredSigningKey,
  StoredToken,
} from './oidc-repositories.js';
import type { WebAuthnCredential } from './auth-repositories.js';

/** The associated data binding an encrypted TOTP secret to its row and column. */
export function totpSecretContext(username: string): string {
  return `totp_configurations:secret:${username}`;
}

/** The associated data binding an encrypted signing key to its row. */
export function signingKeyContext(kid: string): string {
  return `oidc_signing_keys:private_key:${kid}`;
}

/**
 * The associated data binding a TOTP enrolment in progress, which the portal keeps sealed in the
 * session's state (`flows.totpEnrolment.sealed`), to its user.
 */
export function totpEnrolmentContext(username: string): string {
  return `session-flow:totp-enrolment:${username}`;
}

/** A scope set as stored: distinct, sorted, space-separated (a consent matches this exact set). */
export const scopeKey = (scopes: readonly string[]) => [...new Set(scopes)].sort().join(' ');

export interface CodeRow {
  code_hash: string;
  grant_id: string;
  client_id: string;
  username: string;
  data: string;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface TokenRow {
  token_hash: string;
  kind: 'access' | 'refresh';
  grant_id: string;
  client_id: string;
  username: string;
  subject: string;
  scopes: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
  format: 'opaque' | 'jwt';
  audience: string;
  rotated_at: number | null;
  successor_hash: string | null;
}

export interface GrantRow {
  sid?: string;
  grant_id: string;
  client_id: string;
  username: string;
  subject: string;
  scopes: string;
  data: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** A space-separated column back into its words. */
export const words = (text: string) => (text === '' ? [] : text.split(' '));

export function tokenOf(row: TokenRow): StoredToken {
  return {
    tokenHash: row.token_hash,
    kind: row.kind,
    grantId: row.grant_id,
    clientId: row.client_id,
    username: row.username,
    subject: row.subject,
    scopes: words(row.scopes),
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at ?? undefined,
    format: row.format,
    audience: words(row.audience),
    rotatedAt: row.rotated_at ?? undefined,
    successorHash: row.successor_hash ?? undefined,
  };
}

export function grantOf(row: GrantRow): StoredGrant {
  return {
    grantId: row.grant_id,
    clientId: row.client_id,
    username: row.username,
    subject: row.subject,
    scopes: words(row.scopes),
    data: JSON.parse(row.data) as GrantData,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at ?? undefined,
    sid: row.sid ?? '',
  };
}

export interface DeliveryRow {
  id: number;
  client_id: string;
  uri: string;
  issuer: string;
  subject: string;
  sid: string;
  jti: string;
  reason: string;
  attempts: number;
  next_attempt_at: number;
  expires_at: number;
  last_error: string;
  created_at: number;
}

export function deliveryOf(r: DeliveryRow): LogoutDelivery {
  return {
    id: r.id,
    clientId: r.client_id,
    uri: r.uri,
    issuer: r.issuer,
    subject: r.subject,
    sid: r.sid,
    jti: r.jti,
    reason: r.reason,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    expiresAt: r.expires_at,
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}

export function codeOf(row: CodeRow): StoredAuthorizationCode {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    username: row.username,
    data: JSON.parse(row.data) as StoredAuthorizationCode['data'],
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
  };
}

/** A `webauthn_credentials` row as either engine returns it (SQLite: 0/1 flags; PostgreSQL: booleans). */
export interface WebAuthnRow {
  username: string;
  rp_id: string;
  credential_id: string;
  description: string;
  public_key: Buffer;
  sign_count: number;
  transports: string;
  aaguid: string;
  discoverable: number | boolean;
  backup_eligible: number | boolean;
  backed_up: number | boolean;
  created_at: number;
  last_used_at: number | null;
}

/** The columns of a {@link WebAuthnRow}, in the order both engines insert them. */
export const webauthnColumns =
  'username, rp_id, credential_id, description, public_key, sign_count, transports, aaguid, discoverable, backup_eligible, backed_up, created_at, last_used_at';

/** A stored credential from its row. */
export function webauthnCredentialOf(row: WebAuthnRow): WebAuthnCredential {
  return {
    username: row.username,
    rpId: row.rp_id,
    credentialId: row.credential_id,
    description: row.description,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: row.transports === '' ? [] : row.transports.split(','),
    aaguid: row.aaguid,
    discoverable: Boolean(row.discoverable),
    backupEligible: Boolean(row.backup_eligible),
    backedUp: Boolean(row.backed_up),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? undefined : Number(row.last_used_at),
  };
}

/** `?, ?, …` for `count` values (SQLite's and MySQL's placeholders; PostgreSQL's are numbered). */
export const marks = (count: number): string => Array.from({ length: count }, () => '?').join(', ');

export interface KeyRow {
  kid: string;
  algorithm: string;
  private_key: Buffer;
  created_at: number;
  activates_at: number | null;
  retires_at: number | null;
}

/** The columns of `oidc_signing_keys` an INSERT writes, in the order of {@link keyValues}. */
export const keyColumns = 'kid, algorithm, private_key, created_at, activates_at, retires_at';

/** A signing key's values for {@link keyColumns}, its private key already `sealed` (encrypted). */
export const keyValues = (key: StoredSigningKey, sealed: Buffer): unknown[] => [
  key.kid,
  key.algorithm,
  sealed,
  key.createdAt,
  key.activatesAt ?? null,
  key.retiresAt ?? null,
];

/** A signing key as read, `open` decrypting its private key (bound to its kid). */
export function keyOf(r: KeyRow, open: (sealed: Buffer, context: string) => Buffer): StoredSigningKey {
  return {
    kid: r.kid,
    algorithm: r.algorithm,
    privateKey: open(r.private_key, signingKeyContext(r.kid)).toString('utf8'),
    createdAt: Number(r.created_at),
    activatesAt: r.activates_at === null ? undefined : Number(r.activates_at),
    retiresAt: r.retires_at === null ? undefined : Number(r.retires_at),
  };
}

export interface PendingRow {
  id_hash: string;
  client_id: string;
  parameters: string;
  login_after: number | null;
  consent: string | null;
  created_at: number;
  expires_at: number;
}

/** The columns of `oidc_pending_authorizations` an INSERT writes, in the order of {@link pendingValues}. */
export const pendingColumns = 'id_hash, client_id, parameters, login_after, consent, created_at, expires_at';

export const pendingValues = (p: PendingAuthorization): unknown[] => [
  p.idHash,
  p.clientId,
  JSON.stringify(p.parameters),
  p.loginAfter ?? null,
  p.consent ? JSON.stringify(p.consent) : null,
  p.createdAt,
  p.expiresAt,
];

export function pendingOf(row: PendingRow): PendingAuthorization {
  return {
    idHash: row.id_hash,
    clientId: row.client_id,
    parameters: JSON.parse(row.parameters) as Record<string, string>,
    loginAfter: row.login_after === null ? undefined : Number(row.login_after),
    consent: row.consent ? (JSON.parse(row.consent) as PendingAuthorization['consent']) : undefined,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

/** The columns of `oidc_grants` an INSERT writes, in the order of {@link grantValues}. */
export const grantColumns = 'grant_id, client_id, username, subject, scopes, data, created_at, expires_at, revoked_at, sid';

export const grantValues = (g: StoredGrant): unknown[] => [
  g.grantId,
  g.clientId,
  g.username,
  g.subject,
  g.scopes.join(' '),
  JSON.stringify(g.data),
  g.createdAt,
  g.expiresAt,
  g.revokedAt ?? null,
  g.sid ?? '',
];

/** The columns of `oidc_tokens` an INSERT writes, in the order of {@link tokenValues}. */
export const tokenColumns = 'token_hash, kind, grant_id, client_id, username, subject, scopes, issued_at, expires_at, revoked_at, format, audience';

export const tokenValues = (t: StoredToken): unknown[] => [
  t.tokenHash,
  t.kind,
  t.grantId,
  t.clientId,
  t.username,
  t.subject,
  t.scopes.join(' '),
  t.issuedAt,
  t.expiresAt,
  t.revokedAt ?? null,
  t.format ?? 'opaque',
  (t.audience ?? []).join(' '),
];

/** The columns of `oidc_issuance_log` an INSERT writes, in the order of {@link auditValues}. */
export const auditColumns = 'time, event, client_id, username, grant_id, detail';

export const auditValues = (e: IssuanceEvent): unknown[] => [e.time, e.event, e.clientId, e.username, e.grantId, e.detail];

/**
 * What presenting a refresh token amounts to, once the store has marked it rotated (or found it
 * rotated before, at `rotatedAt`): the first use rotates it; a second use within
 * `refresh_token_reuse_grace` is honoured; any later use is a replay.
 */
export function refreshOutcome(firstUse: boolean, rotatedAt: number, now: number, reuseGrace: number): 'rotated' | 'within-grace' | 'replayed' {
  if (firstUse) return 'rotated';
  return now - rotatedAt < reuseGrace ? 'within-grace' : 'replayed';
}
