import { describe, keyPath } from './problems.js';
import { type ReadContext, readList, readMapping, readString, unsupportedAuthelia } from './reader.js';

/** The claims each scope releases (OIDC Core §5.4; `groups` as Authelia): the provider's vocabulary, read by oidc/claims.ts. */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified', 'alt_emails'],
  groups: ['groups'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** Claims a policy may place: those of the scopes Gatehouse knows. */
export const placeableClaims: readonly string[] = Object.values(scopeClaims).flat();

/**
 * `identity_providers.oidc.claims_policies.<name>` (Authelia's key, where it maps): which of the
 * claims a client's scopes allow are also placed in the ID token and in JWT access tokens.
 */
export interface ClaimsPolicy {
  readonly idToken: readonly string[];
  readonly accessToken: readonly string[];
}

/** Reads `claims_policies`; `custom_claims` (needs user attributes Gatehouse does not have) is refused. */
export function readClaimsPolicies(ctx: ReadContext, path: string, value: unknown): ReadonlyMap<string, ClaimsPolicy> {
  const policies = new Map<string, ClaimsPolicy>();
  if (value === undefined || value === null) return policies;
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.problems.error(path, 'must be a mapping of policy names to policies');
    return policies;
  }
  for (const [name, entry] of Object.entries(value)) {
    const at = keyPath(path, name);
    const raw = readMapping(ctx, at, entry, ['id_token', 'access_token', 'id_token_audience_mode', 'custom_claims']) ?? {};
    if (raw.custom_claims !== undefined) {
      const none = raw.custom_claims === null || (typeof raw.custom_claims === 'object' && Object.keys(raw.custom_claims).length === 0);
      unsupportedAuthelia(ctx, keyPath(at, 'custom_claims'), 'custom claims from user attributes; claims come from the users file', none);
    }
    if (raw.id_token_audience_mode === 'experimental-merged') {
      unsupportedAuthelia(ctx, keyPath(at, 'id_token_audience_mode'), "the 'experimental-merged' ID token audience");
    } else if (raw.id_token_audience_mode !== undefined && raw.id_token_audience_mode !== 'specification') {
      ctx.problems.error(keyPath(at, 'id_token_audience_mode'), `must be 'specification' but is ${describe(raw.id_token_audience_mode)}`);
    }
    const claims = (key: string) =>
      readList(ctx, keyPath(at, key), raw[key], (claim, cat) => {
        const text = readString(ctx, cat, claim, { required: true });
        if (text === undefined) return undefined;
        if (placeableClaims.includes(text)) return text;
        ctx.problems.error(cat, `must be one of the standard claims Gatehouse issues (${placeableClaims.join(', ')}) but is '${text}'`);
        return undefined;
      });
    policies.set(name, { idToken: claims('id_token'), accessToken: claims('access_token') });
  }
  return policies;
}
