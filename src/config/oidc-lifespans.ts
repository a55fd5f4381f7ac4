import { keyPath } from './problems.js';
import { type ReadContext, readDuration, readMapping } from './reader.js';

/** How long each kind of token lives, in milliseconds. */
export interface LifespanSet {
  readonly accessToken: number;
  readonly authorizeCode: number;
  readonly idToken: number;
  readonly refreshToken: number;
}

/** The grants whose lifespans a custom set may override (Authelia's names). */
export const lifespanGrants = ['authorize_code', 'client_credentials', 'refresh_token'] as const;
export type LifespanGrant = (typeof lifespanGrants)[number];

/** `lifespans.custom.<name>`: a client's set (`clients[].lifespan: <name>`), with per-grant overrides. */
export interface CustomLifespan extends LifespanSet {
  readonly grants: Readonly<Partial<Record<LifespanGrant, Partial<LifespanSet>>>>;
}

/** `identity_providers.oidc.lifespans`. */
export interface OidcLifespans extends LifespanSet {
  /**
   * After a refresh token was rotated, how long it still works (answered with tokens of the same
   * grant) instead of counting as a replay that revokes the grant: concurrent refreshes, a lost
   * answer, several replicas of an app (Gatehouse's key; Dex's `reuseInterval`).
   */
  readonly refreshTokenReuseGrace: number;
  /**
   * The absolute lifetime of a grant from its authorization: refresh tokens are refused after it
   * however recently they were rotated; the user signs in again (Gatehouse's key).
   */
  readonly grant: number;
  readonly custom: ReadonlyMap<string, CustomLifespan>;
}

export const lifespanDefaults = {
  accessToken: 3_600_000,
  authorizeCode: 60_000,
  idToken: 3_600_000,
  refreshToken: 5_400_000,
  refreshTokenReuseGrace: 5_000,
  grant: 30 * 86_400_000,
} as const;

const unsupportedGrants = ['implicit', 'device_code', 'jwt_bearer'];

/** Reads `lifespans` (Authelia's keys, plus `refresh_token_reuse_grace` and `grant`). */
export function readLifespans(ctx: ReadContext, path: string, value: unknown): OidcLifespans {
  const raw =
    readMapping(ctx, path, value, [
      'access_token',
      'authorize_code',
      'id_token',
      'refresh_token',
      'device_code',
      'refresh_token_reuse_grace',
      'grant',
      'custom',
    ]) ?? {};
  if (raw.device_code !== undefined) ctx.problems.warn(keyPath(path, 'device_code'), 'is ignored: the device authorization grant is not supported');
  const base = readSet(ctx, path, raw, lifespanDefaults);
  const grace = readDuration(ctx, keyPath(path, 'refresh_token_reuse_grace'), raw.refresh_token_reuse_grace, lifespanDefaults.refreshTokenReuseGrace);
  if (grace > 60_000)
    ctx.problems.error(keyPath(path, 'refresh_token_reuse_grace'), `must be at most 1 minute (a replay window) but is ${grace / 1000} seconds`);
  const grant = readDuration(ctx, keyPath(path, 'grant'), raw.grant, lifespanDefaults.grant, { min: 60_000 });
  return { ...base, refreshTokenReuseGrace: Math.min(grace, 60_000), grant, custom: readCustom(ctx, keyPath(path, 'custom'), raw.custom, base) };
}

function readSet(ctx: ReadContext, path: string, raw: Record<string, unknown>, fallback: LifespanSet): LifespanSet {
  const read = (key: string, fb: number) => readDuration(ctx, keyPath(path, key), raw[key], fb, { min: 1000 });
  return {
    accessToken: read('access_token', fallback.accessToken),
    authorizeCode: read('authorize_code', fallback.authorizeCode),
    idToken: read('id_token', fallback.idToken),
    refreshToken: read('refresh_token', fallback.refreshToken),
  };
}

function readCustom(ctx: ReadContext, path: string, value: unknown, base: LifespanSet): Map<string, CustomLifespan> {
  const custom = new Map<string, CustomLifespan>();
  if (value === undefined || value === null) return custom;
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.problems.error(path, 'must be a mapping of names to lifespans');
    return custom;
  }
  for (const [name, entry] of Object.entries(value)) {
    const at = keyPath(path, name);
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) ctx.problems.error(at, `must be named with letters, digits or '._-' but is named '${name}'`);
    const raw = readMapping(ctx, at, entry, ['access_token', 'authorize_code', 'id_token', 'refresh_token', 'device_code', 'grants']) ?? {};
    const set = readSet(ctx, at, raw, base);
    const grants: Partial<Record<LifespanGrant, Partial<LifespanSet>>> = {};
    const grantsRaw = readMapping(ctx, keyPath(at, 'grants'), raw.grants ?? {}, [...lifespanGrants, ...unsupportedGrants]) ?? {};
    for (const grant of unsupportedGrants) {
      if (grantsRaw[grant] !== undefined) ctx.problems.warn(keyPath(keyPath(at, 'grants'), grant), `is ignored: the ${grant} grant is not supported`);
    }
    for (const grant of lifespanGrants) {
      if (grantsRaw[grant] === undefined) continue;
      const gat = keyPath(keyPath(at, 'grants'), grant);
      const g = readMapping(ctx, gat, grantsRaw[grant], ['access_token', 'id_token', 'refresh_token']) ?? {};
      const override: { -readonly [K in keyof LifespanSet]?: number } = {};
      if (g.access_token !== undefined) override.accessToken = readDuration(ctx, keyPath(gat, 'access_token'), g.access_token, set.accessToken, { min: 1000 });
      if (g.id_token !== undefined) override.idToken = readDuration(ctx, keyPath(gat, 'id_token'), g.id_token, set.idToken, { min: 1000 });
      if (g.refresh_token !== undefined)
        override.refreshToken = readDuration(ctx, keyPath(gat, 'refresh_token'), g.refresh_token, set.refreshToken, { min: 1000 });
      grants[grant] = override;
    }
    custom.set(name, { ...set, grants });
  }
  return custom;
}
