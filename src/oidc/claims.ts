import type { User } from '../auth/users/user.js';
import { scopeClaims } from '../config/oidc-claims-policies.js';
import type { OidcClientConfig, OidcConfig } from '../config/oidc.js';
import { InvalidRequest } from './errors.js';

export { scopeClaims };

/** Every claim the provider can release, for discovery's `claims_supported`. */
export const supportedClaims = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'amr',
  'azp',
  'at_hash',
  'jti',
  'sid',
  ...Object.values(scopeClaims).flat(),
];

/**
 * The user's claims released by `scopes`. Users-file emails count as verified (the operator
 * wrote them), so `email_verified` is always present with `email`.
 */
export function claimsFor(user: User, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const p = user.profile;
  if (scopes.includes('profile')) {
    Object.assign(out, {
      name: user.displayName || user.username,
      preferred_username: user.username,
      given_name: p.givenName,
      family_name: p.familyName,
      middle_name: p.middleName,
      nickname: p.nickname,
      profile: p.profile,
      picture: p.picture,
      website: p.website,
      gender: p.gender,
      birthdate: p.birthdate,
      zoneinfo: p.zoneinfo,
      locale: p.locale,
      updated_at: p.updatedAt,
    });
  }
  if (scopes.includes('email') && user.emails.length > 0) {
    out.email = user.emails[0];
    out.email_verified = true;
    if (user.emails.length > 1) out.alt_emails = user.emails.slice(1);
  }
  if (scopes.includes('groups')) out.groups = [...user.groups];
  if (scopes.includes('address') && p.address) out.address = { ...p.address };
  if (scopes.includes('phone') && p.phoneNumber) {
    out.phone_number = p.phoneExtension ? `${p.phoneNumber};ext=${p.phoneExtension}` : p.phoneNumber;
    out.phone_number_verified = false;
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * The `claims` request parameter (OIDC Core §5.5), as far as Gatehouse honours it: the names
 * of the claims asked for in the ID token and at the userinfo endpoint. Individual claims only
 * choose where released claims go; what is released stays decided by the granted scopes (the
 * consent the user gave), so a request cannot widen it.
 */
export interface ClaimsRequest {
  readonly idToken: readonly string[];
  readonly userinfo: readonly string[];
}

/**
 * Parses a `claims` parameter: a JSON object with optional `id_token` and `userinfo` members,
 * each mapping claim names to `null` or `{essential, value, values}`.
 * @throws InvalidRequest naming what is wrong.
 */
export function parseClaimsRequest(text: string): ClaimsRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequest('The claims parameter is not valid JSON.');
  }
  if (!isObject(value)) throw new InvalidRequest('The claims parameter must be a JSON object.');
  const member = (name: 'id_token' | 'userinfo'): string[] => {
    const entry = value[name];
    if (entry === undefined) return [];
    if (!isObject(entry)) throw new InvalidRequest(`The claims parameter's '${name}' must be an object.`);
    for (const [claim, request] of Object.entries(entry)) {
      if (request !== null && !isObject(request)) throw new InvalidRequest(`The claims parameter's '${name}.${claim}' must be null or an object.`);
    }
    return Object.keys(entry);
  };
  return { idToken: member('id_token'), userinfo: member('userinfo') };
}

/**
 * The user claims an ID token carries besides the standard ones: those of the granted scopes
 * that the client asks for in every ID token (`claims_in_id_token`: all of them; its
 * `claims_policy`'s `id_token` list), or that the request asked for there (`claims`).
 */
export function idTokenClaims(
  config: OidcConfig,
  client: OidcClientConfig,
  user: User,
  scopes: readonly string[],
  claimsRequest: string | undefined,
): Record<string, unknown> {
  const released = claimsFor(user, scopes);
  if (client.claimsInIdToken) return released;
  const wanted = new Set(client.claimsPolicy === undefined ? [] : (config.claimsPolicies.get(client.claimsPolicy)?.idToken ?? []));
  if (claimsRequest !== undefined) for (const name of parseClaimsRequest(claimsRequest).idToken) wanted.add(name);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(released)) if (wanted.has(name)) out[name] = value;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
