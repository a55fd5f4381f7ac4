import type { User } from '../auth/users/user.js';

/** The claims each scope releases (OIDC Core §5.4; `groups` as Authelia). */
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
  ],
  email: ['email', 'email_verified', 'alt_emails'],
  groups: ['groups'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** Every claim the provider can release, for discovery's `claims_supported`. */
export const supportedClaims = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'amr', 'azp', 'at_hash', 'jti', ...Object.values(scopeClaims).flat()];

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
