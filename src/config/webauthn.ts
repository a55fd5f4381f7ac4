import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readDuration, readList, readMapping, readString } from './reader.js';

export const conveyancePreferences = ['none', 'indirect', 'direct'] as const;
export const attachments = ['', 'platform', 'cross-platform'] as const;
export const requirements = ['discouraged', 'preferred', 'required'] as const;
export type Requirement = (typeof requirements)[number];

/**
 * `webauthn`: security keys and passkeys, with Authelia's keys and defaults
 * (`internal/configuration/schema/webauthn.go`, `validator/webauthn.go`).
 */
export interface WebAuthnConfig {
  readonly disable: boolean;
  /** Sign in with a discoverable credential (a passkey), without a user name or password. */
  readonly enablePasskeyLogin: boolean;
  /** A passkey sign-in whose authenticator verified the user counts as two factors (Authelia's experimental key). */
  readonly passkeyUvTwoFactors: boolean;
  /** The relying party's name that authenticators show. */
  readonly displayName: string;
  readonly attestationConveyancePreference: (typeof conveyancePreferences)[number];
  /** How long a ceremony may take, in milliseconds. */
  readonly timeout: number;
  readonly selectionCriteria: {
    /** `''`: any authenticator; `platform` (built in: Touch ID, Windows Hello); `cross-platform` (a security key, a phone). */
    readonly attachment: (typeof attachments)[number];
    /** Whether registration asks for a discoverable credential (a passkey). */
    readonly discoverability: Requirement;
    readonly userVerification: Requirement;
  };
  readonly filtering: {
    readonly prohibitBackupEligibility: boolean;
    /** Only these authenticator models (AAGUIDs) may be registered; empty: any. */
    readonly permittedAaguids: readonly string[];
    /** These authenticator models (AAGUIDs) may not be registered. */
    readonly prohibitedAaguids: readonly string[];
  };
}

/** Authelia's defaults (its display name is "Authelia"; ours names the product). */
export const webauthnDefaults = {
  displayName: 'Gatehouse',
  attestationConveyancePreference: 'indirect',
  timeout: 60_000,
  attachment: 'cross-platform',
  discoverability: 'preferred',
  userVerification: 'preferred',
} as const;

const aaguid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reads `webauthn`; problems name the key, as Authelia's validator does (and refuses what it refuses). */
export function readWebAuthn(ctx: ReadContext, value: unknown): WebAuthnConfig {
  const path = 'webauthn';
  const d = webauthnDefaults;
  const raw =
    readMapping(ctx, path, value, [
      'disable',
      'enable_passkey_login',
      'experimental_enable_passkey_uv_two_factors',
      'experimental_enable_passkey_upgrade',
      'display_name',
      'attestation_conveyance_preference',
      'timeout',
      'selection_criteria',
      'filtering',
      'metadata',
    ]) ?? {};
  const at = (key: string) => keyPath(path, key);
  const disable = readBoolean(ctx, at('disable'), raw.disable, false);
  const enablePasskeyLogin = readBoolean(ctx, at('enable_passkey_login'), raw.enable_passkey_login, false);
  const passkeyUvTwoFactors = readBoolean(ctx, at('experimental_enable_passkey_uv_two_factors'), raw.experimental_enable_passkey_uv_two_factors, false);
  const passkeyUpgrade = readBoolean(ctx, at('experimental_enable_passkey_upgrade'), raw.experimental_enable_passkey_upgrade, false);
  if (enablePasskeyLogin && disable) ctx.problems.error(at('enable_passkey_login'), 'must be false when webauthn.disable is true');
  if (!enablePasskeyLogin && passkeyUvTwoFactors) {
    ctx.problems.error(at('experimental_enable_passkey_uv_two_factors'), 'must be false when webauthn.enable_passkey_login is false');
  }
  if (passkeyUpgrade)
    ctx.problems.warn(at('experimental_enable_passkey_upgrade'), 'is an experimental Authelia option that Gatehouse does not implement; it is ignored');
  const metadata = readMapping(ctx, at('metadata'), raw.metadata, [
    'enabled',
    'validate_trust_anchor',
    'validate_entry',
    'validate_entry_permit_zero_aaguid',
    'validate_status',
    'validate_status_permitted',
    'validate_status_prohibited',
    'cache_policy',
  ]);
  if (metadata && readBoolean(ctx, keyPath(at('metadata'), 'enabled'), metadata.enabled, false)) {
    ctx.problems.error(
      keyPath(at('metadata'), 'enabled'),
      'is not supported by this version of Gatehouse (the FIDO Metadata Service is not consulted); remove it',
    );
  }
  const criteria = readMapping(ctx, at('selection_criteria'), raw.selection_criteria, ['attachment', 'discoverability', 'user_verification']) ?? {};
  const selectionCriteria = {
    attachment: readChoice(ctx, keyPath(at('selection_criteria'), 'attachment'), criteria.attachment, attachments, d.attachment),
    discoverability: readChoice(ctx, keyPath(at('selection_criteria'), 'discoverability'), criteria.discoverability, requirements, d.discoverability),
    userVerification: readChoice(ctx, keyPath(at('selection_criteria'), 'user_verification'), criteria.user_verification, requirements, d.userVerification),
  };
  if (enablePasskeyLogin && selectionCriteria.discoverability === 'discouraged') {
    ctx.problems.warn(
      keyPath(at('selection_criteria'), 'discoverability'),
      "is 'discouraged' while passkey login is enabled: authenticators may register credentials that cannot sign in without a user name; use 'preferred' or 'required'",
    );
  }
  const filteringRaw = readMapping(ctx, at('filtering'), raw.filtering, ['prohibit_backup_eligibility', 'permitted_aaguids', 'prohibited_aaguids']) ?? {};
  const aaguids = (key: string) =>
    filteringRaw[key] === undefined
      ? []
      : readList(ctx, keyPath(at('filtering'), key), filteringRaw[key], (entry, where) => {
          const text = readString(ctx, where, entry)?.toLowerCase();
          if (text !== undefined && !aaguid.test(text))
            ctx.problems.error(where, `must be an AAGUID (a UUID such as ee882879-721c-4913-9775-3dfcce97072a) but is '${text}'`);
          return text;
        });
  const filtering = {
    prohibitBackupEligibility: readBoolean(ctx, keyPath(at('filtering'), 'prohibit_backup_eligibility'), filteringRaw.prohibit_backup_eligibility, false),
    permittedAaguids: aaguids('permitted_aaguids'),
    prohibitedAaguids: aaguids('prohibited_aaguids'),
  };
  if (filtering.permittedAaguids.length > 0 && filtering.prohibitedAaguids.length > 0) {
    ctx.problems.error(at('filtering'), 'must not set both permitted_aaguids and prohibited_aaguids');
  }
  return {
    disable,
    enablePasskeyLogin,
    passkeyUvTwoFactors,
    displayName: readString(ctx, at('display_name'), raw.display_name) || d.displayName,
    attestationConveyancePreference: readChoice(
      ctx,
      at('attestation_conveyance_preference'),
      raw.attestation_conveyance_preference,
      conveyancePreferences,
      d.attestationConveyancePreference,
    ),
    timeout: readDuration(ctx, at('timeout'), raw.timeout, d.timeout, { min: 1000 }),
    selectionCriteria,
    filtering,
  };
}
