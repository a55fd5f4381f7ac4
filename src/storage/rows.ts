/**
 * The rows of the SQL tables as both providers (SQLite, PostgreSQL) read them — the same columns,
 * times as numbers — and their mapping to the storage types. Also the associated data that binds
 * an encrypted column value to its row.
 */
import type { GrantData, LogoutDelivery, StoredAuthorizationCode, StoredGrant, StoredToken } from './oidc-repositories.js';
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
