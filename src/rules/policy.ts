/**
 * The rule engine's vocabulary, declared once for every layer: what a matching rule requires
 * (`Policy`), how far a subject has authenticated (`AuthLevel`) and what a request gets in the
 * end (`Outcome`). config/ validates against the value lists it keeps beside these types
 * (checked by the compiler to name every member, see shared/every-member.ts).
 */

/** What a matching rule requires; Authelia's names, in order of strictness. */
export type Policy = 'bypass' | 'one_factor' | 'two_factor' | 'deny';

/** How far a subject has authenticated: 0 not at all, 1 password, 2 password and a second factor. */
export const AuthLevel = { none: 0, oneFactor: 1, twoFactor: 2 } as const;
export type AuthLevel = (typeof AuthLevel)[keyof typeof AuthLevel];

/** What a request gets in the end: through (200), sent to log in (302/401), or refused (403). */
export type Outcome = 'allow' | 'login' | 'forbidden';
