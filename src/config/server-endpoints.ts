import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readDuration, readInteger, readList, readMapping, readString } from './reader.js';

/**
 * `server.endpoints`: the authorization endpoints (names, implementation, authentication
 * strategies) and the rate limits per endpoint group, with Authelia's keys and defaults
 * (`internal/configuration/schema/server.go`, `validator/server.go`).
 */
export interface ServerEndpointsConfig {
  /** The forward-auth endpoints, in name order; Authelia's four when `authz` is absent or empty. */
  readonly authz: readonly AuthzEndpointConfig[];
  /** Each rate limit group, defaulted (Authelia's buckets). */
  readonly rateLimits: Readonly<Record<RateLimitName, RateLimitConfig>>;
}

export const authzImplementations = ['ForwardAuth', 'AuthRequest', 'ExtAuthz', 'Legacy'] as const;
export type AuthzImplementation = (typeof authzImplementations)[number];

export const authnStrategyNames = [
  'CookieSession',
  'HeaderAuthorization',
  'HeaderProxyAuthorization',
  'HeaderAuthRequestProxyAuthorization',
  'HeaderLegacy',
] as const;
export type AuthnStrategyName = (typeof authnStrategyNames)[number];

/** The schemes a header strategy accepts (Authelia's `Basic`, `Bearer`; case-insensitive, stored lower-case). */
export type AuthnScheme = 'basic' | 'bearer';

/** One entry of `authn_strategies`. */
export interface AuthnStrategyConfig {
  readonly name: AuthnStrategyName;
  /** For the three `Header*Authorization` strategies; empty for `CookieSession` and `HeaderLegacy`. */
  readonly schemes: readonly AuthnScheme[];
}

/** One forward-auth endpoint: `/api/authz/<name>` (`legacy`: `/api/verify`). */
export interface AuthzEndpointConfig {
  readonly name: string;
  readonly path: string;
  readonly implementation: AuthzImplementation;
  /** In order: header strategies are tried as listed; the session cookie when `CookieSession` is listed. */
  readonly strategies: readonly AuthnStrategyConfig[];
}

/**
 * Which strategies each implementation takes. Authelia builds any combination; Gatehouse refuses
 * the ones that cannot work: `HeaderLegacy` reads the legacy endpoint's `?auth=basic`, nginx's
 * `auth_request` cannot pass a 407 on (so `HeaderProxyAuthorization` is not for `AuthRequest`;
 * `HeaderAuthRequestProxyAuthorization` is its 401 form, meant for `AuthRequest` only).
 */
export const strategiesOf: Readonly<Record<AuthzImplementation, readonly AuthnStrategyName[]>> = {
  ForwardAuth: ['CookieSession', 'HeaderAuthorization', 'HeaderProxyAuthorization'],
  ExtAuthz: ['CookieSession', 'HeaderAuthorization', 'HeaderProxyAuthorization'],
  AuthRequest: ['CookieSession', 'HeaderAuthorization', 'HeaderAuthRequestProxyAuthorization'],
  Legacy: ['CookieSession', 'HeaderLegacy', 'HeaderAuthorization', 'HeaderProxyAuthorization'],
};

const headerStrategies: readonly AuthnStrategyName[] = ['HeaderAuthorization', 'HeaderProxyAuthorization', 'HeaderAuthRequestProxyAuthorization'];

/** Authelia's endpoint names: a letter first and last; letters, digits, `/`, `.`, `_`, `-` between. */
const endpointName = /^[a-zA-Z](?:[a-zA-Z0-9/._-]*[a-zA-Z])?$/;

/**
 * The endpoints when `server.endpoints.authz` is absent: Authelia's four. Their header strategy
 * takes `Basic` and `Bearer` (Authelia's default is `Basic` only): Gatehouse has always read a
 * Bearer access token there when an OpenID Connect client may hold `authelia.bearer.authz`.
 */
export const defaultAuthzEndpoints: readonly AuthzEndpointConfig[] = [
  endpoint('auth-request', 'AuthRequest', [header('HeaderAuthorization'), cookie()]),
  endpoint('ext-authz', 'ExtAuthz', [header('HeaderAuthorization'), cookie()]),
  endpoint('forward-auth', 'ForwardAuth', [header('HeaderAuthorization'), cookie()]),
  endpoint('legacy', 'Legacy', [{ name: 'HeaderLegacy', schemes: [] }, cookie()]),
];

function endpoint(name: string, implementation: AuthzImplementation, strategies: AuthnStrategyConfig[]): AuthzEndpointConfig {
  return { name, path: pathOf(name), implementation, strategies };
}
function header(name: AuthnStrategyName): AuthnStrategyConfig {
  return { name, schemes: ['basic', 'bearer'] };
}
function cookie(): AuthnStrategyConfig {
  return { name: 'CookieSession', schemes: [] };
}

/** `/api/authz/<name>`, and `/api/verify` for the name `legacy` (as Authelia routes it). */
export function pathOf(name: string): string {
  return name === 'legacy' ? '/api/verify' : `/api/authz/${name}`;
}

export const rateLimitNames = [
  'reset_password_start',
  'reset_password_finish',
  'second_factor_totp',
  'second_factor_duo',
  'second_factor_password',
  'session_elevation_start',
  'session_elevation_finish',
  'health',
  'openid_connect_token',
  'openid_connect_pushed_authorization_request',
  'openid_connect_userinfo',
  'openid_connect_introspection',
  'openid_connect_revocation',
] as const;
export type RateLimitName = (typeof rateLimitNames)[number];

/**
 * One token bucket per client IP: `requests` at once, one more each `period` ms. With `per`, the
 * period is `period` times that `identity_validation.elevated_session` lifespan (Authelia's
 * session-elevation defaults), resolved where the limiter is built.
 */
export interface RateLimitBucket {
  readonly period: number;
  readonly requests: number;
  readonly per?: 'code_lifespan' | 'elevation_lifespan';
}

export interface RateLimitConfig {
  readonly enable: boolean;
  readonly buckets: readonly RateLimitBucket[];
}

/** The groups Gatehouse has no endpoint for: accepted with a warning (issue 17). */
const absentEndpoints: Partial<Record<RateLimitName, string>> = {
  second_factor_duo: 'Duo push',
  openid_connect_pushed_authorization_request: 'pushed authorization requests',
};

/** The groups whose endpoint exists but is not rate-limited yet: accepted with a warning. */
const notLimitedYet: Partial<Record<RateLimitName, string>> = {
  health: 'the health endpoint answers no verbose probe here',
  openid_connect_token: 'the OpenID Connect endpoints are not rate-limited yet',
  openid_connect_userinfo: 'the OpenID Connect endpoints are not rate-limited yet',
  openid_connect_introspection: 'the OpenID Connect endpoints are not rate-limited yet',
  openid_connect_revocation: 'the OpenID Connect endpoints are not rate-limited yet',
};

const minute = 60_000;
const buckets = (...pairs: [period: number, requests: number][]): RateLimitBucket[] => pairs.map(([period, requests]) => ({ period, requests }));
const oidcBuckets = buckets([minute, 30], [2 * minute, 40], [10 * minute, 50], [60 * minute, 100]);

/** Authelia's default buckets (`schema.DefaultServerConfiguration.Endpoints.RateLimits`). */
export const defaultRateLimitBuckets: Readonly<Record<RateLimitName, readonly RateLimitBucket[]>> = {
  reset_password_start: buckets([10 * minute, 5], [15 * minute, 10], [30 * minute, 15]),
  reset_password_finish: buckets([minute, 10], [2 * minute, 15]),
  second_factor_totp: buckets([minute, 30], [2 * minute, 40], [10 * minute, 50]),
  second_factor_duo: buckets([minute, 10], [2 * minute, 15]),
  second_factor_password: buckets([5 * minute, 30], [60 * minute, 40]),
  session_elevation_start: [1, 2, 12].map((period, i) => ({ period, requests: [3, 5, 15][i]!, per: 'code_lifespan' as const })),
  session_elevation_finish: [1, 2, 6].map((period, i) => ({ period, requests: [3, 5, 15][i]!, per: 'elevation_lifespan' as const })),
  health: buckets([minute, 60]),
  openid_connect_token: oidcBuckets,
  openid_connect_pushed_authorization_request: oidcBuckets,
  openid_connect_userinfo: oidcBuckets,
  openid_connect_introspection: oidcBuckets,
  openid_connect_revocation: oidcBuckets,
};

/** Reads `server.endpoints` (`path` is its dotted path). */
export function readServerEndpoints(ctx: ReadContext, path: string, value: unknown): ServerEndpointsConfig {
  const raw = readMapping(ctx, path, value, ['authz', 'rate_limits', 'enable_pprof', 'enable_expvars', 'health']) ?? {};
  readDeveloperSwitch(ctx, keyPath(path, 'enable_pprof'), raw.enable_pprof, 'Go profiling; use node --inspect or --cpu-prof instead');
  readDeveloperSwitch(ctx, keyPath(path, 'enable_expvars'), raw.enable_expvars, "Go's expvar counters; use telemetry.metrics instead");
  if (raw.health !== undefined) {
    ctx.problems.error(keyPath(path, 'health'), 'is an Authelia option that Gatehouse does not support yet (verbose health checks)');
  }
  return {
    authz: readAuthzEndpoints(ctx, keyPath(path, 'authz'), raw.authz),
    rateLimits: readRateLimits(ctx, keyPath(path, 'rate_limits'), raw.rate_limits),
  };
}

/** `enable_pprof` / `enable_expvars`: `false` is accepted silently, `true` refused. */
function readDeveloperSwitch(ctx: ReadContext, path: string, value: unknown, what: string): void {
  if (readBoolean(ctx, path, value, false)) ctx.problems.error(path, `is an Authelia option that Gatehouse does not support yet (${what})`);
}

/** `server.endpoints.authz`: absent or empty → the four defaults; otherwise exactly the named endpoints. */
function readAuthzEndpoints(ctx: ReadContext, path: string, value: unknown): readonly AuthzEndpointConfig[] {
  if (value === undefined || value === null) return defaultAuthzEndpoints;
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.problems.error(path, 'must be a mapping of endpoint names to { implementation, authn_strategies }');
    return defaultAuthzEndpoints;
  }
  const names = Object.keys(value).sort();
  if (names.length === 0) return defaultAuthzEndpoints;
  const entries = value as Record<string, unknown>;
  const read = names.flatMap((name) => readAuthzEndpoint(ctx, keyPath(path, name), name, entries[name]) ?? []);
  for (const endpoint of read) checkPrefixes(ctx, path, endpoint, read);
  return read;
}

function readAuthzEndpoint(ctx: ReadContext, path: string, name: string, value: unknown): AuthzEndpointConfig | undefined {
  const raw = readMapping(ctx, path, value, ['implementation', 'authn_strategies']);
  if (!raw) return undefined;
  if (!endpointName.test(name)) {
    ctx.problems.error(path, 'must be a name of letters, digits, /, ., _ and -, starting and ending with a letter');
    return undefined;
  }
  const implementation = readImplementation(ctx, keyPath(path, 'implementation'), name, raw.implementation);
  if (implementation === undefined) return undefined;
  const strategies = readStrategies(ctx, keyPath(path, 'authn_strategies'), implementation, raw.authn_strategies);
  return { name, path: pathOf(name), implementation, strategies };
}

/** `implementation`: required, case-sensitive; the name `legacy` takes `Legacy` only (and defaults to it). */
function readImplementation(ctx: ReadContext, path: string, name: string, value: unknown): AuthzImplementation | undefined {
  if (name === 'legacy' && (value === undefined || value === null || value === '')) return 'Legacy';
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  const choices = authzImplementations.map((i) => `'${i}'`).join(', ');
  if (!(authzImplementations as readonly string[]).includes(text)) {
    ctx.problems.error(path, `must be one of ${choices} but is '${text}'`);
    return undefined;
  }
  if (name === 'legacy' && text !== 'Legacy') {
    ctx.problems.error(path, `must be 'Legacy' for the endpoint named 'legacy' (it answers /api/verify) but is '${text}'`);
    return undefined;
  }
  return text as AuthzImplementation;
}

/** `authn_strategies`: absent or empty → the implementation's defaults (Authelia's, `Basic` only). */
function readStrategies(ctx: ReadContext, path: string, implementation: AuthzImplementation, value: unknown): AuthnStrategyConfig[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    return implementation === 'Legacy' ? [{ name: 'HeaderLegacy', schemes: [] }, cookie()] : [{ name: 'HeaderAuthorization', schemes: ['basic'] }, cookie()];
  }
  const seen = new Set<string>();
  return readList(ctx, path, value, (entry, at) => {
    const strategy = readStrategy(ctx, at, implementation, entry);
    if (strategy === undefined) return undefined;
    if (seen.has(strategy.name)) {
      ctx.problems.error(keyPath(at, 'name'), `names '${strategy.name}' a second time; each strategy may be listed once`);
      return undefined;
    }
    seen.add(strategy.name);
    return strategy;
  });
}

function readStrategy(ctx: ReadContext, path: string, implementation: AuthzImplementation, value: unknown): AuthnStrategyConfig | undefined {
  const raw = readMapping(ctx, path, value, ['name', 'schemes', 'scheme_basic_cache_lifespan']);
  if (!raw) return undefined;
  const name = readString(ctx, keyPath(path, 'name'), raw.name, { required: true });
  if (name === undefined) return undefined;
  if (!(authnStrategyNames as readonly string[]).includes(name)) {
    ctx.problems.error(keyPath(path, 'name'), `must be one of ${authnStrategyNames.map((n) => `'${n}'`).join(', ')} but is '${name}'`);
    return undefined;
  }
  const strategy = name as AuthnStrategyName;
  const allowed = strategiesOf[implementation];
  if (!allowed.includes(strategy)) {
    const list = allowed.map((n) => `'${n}'`).join(', ');
    ctx.problems.error(keyPath(path, 'name'), `'${strategy}' cannot be used with the implementation '${implementation}' (it takes ${list})`);
    return undefined;
  }
  const schemes = readSchemes(ctx, keyPath(path, 'schemes'), strategy, raw.schemes);
  readBasicCacheLifespan(ctx, keyPath(path, 'scheme_basic_cache_lifespan'), schemes, raw.scheme_basic_cache_lifespan);
  return { name: strategy, schemes };
}

/** `schemes`: only for the header strategies; `Basic` and/or `Bearer` in any case; absent → `Basic`. */
function readSchemes(ctx: ReadContext, path: string, strategy: AuthnStrategyName, value: unknown): AuthnScheme[] {
  if (!headerStrategies.includes(strategy)) {
    if (value !== undefined && value !== null) ctx.problems.error(path, `is not an option of the strategy '${strategy}'`);
    return [];
  }
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return ['basic'];
  const schemes = readList(ctx, path, value, (entry, at) => {
    const text = readString(ctx, at, entry, { required: true });
    const scheme = text?.toLowerCase();
    if (scheme === 'basic' || scheme === 'bearer') return scheme;
    if (text !== undefined) ctx.problems.error(at, `must be 'Basic' or 'Bearer' but is '${text}'`);
    return undefined;
  });
  return [...new Set(schemes)];
}

/**
 * `scheme_basic_cache_lifespan`: only with the `Basic` scheme (Authelia's rule). Gatehouse checks
 * every Basic login (regulated, as a portal login): `0` is accepted, a longer cache is refused.
 */
function readBasicCacheLifespan(ctx: ReadContext, path: string, schemes: readonly AuthnScheme[], value: unknown): void {
  const lifespan = readDuration(ctx, path, value, 0);
  if (lifespan <= 0) return;
  if (!schemes.includes('basic')) {
    ctx.problems.error(path, `can only be set with the 'Basic' scheme but the schemes are ${schemes.map((s) => `'${s}'`).join(', ')}`);
    return;
  }
  ctx.problems.error(path, 'is an Authelia option that Gatehouse does not support yet (caching Basic credentials; every attempt is checked)');
}

/** Authelia's rule: no endpoint may sit under an `ExtAuthz` or `Legacy` endpoint, which answer their sub-paths. */
function checkPrefixes(ctx: ReadContext, path: string, endpoint: AuthzEndpointConfig, all: readonly AuthzEndpointConfig[]): void {
  for (const other of all) {
    if (other === endpoint || other.name === 'legacy' || (other.implementation !== 'ExtAuthz' && other.implementation !== 'Legacy')) continue;
    if (endpoint.name.startsWith(`${other.name}/`)) {
      ctx.problems.error(
        keyPath(path, endpoint.name),
        `starts with the path of the endpoint '${other.name}', whose implementation '${other.implementation}' answers its sub-paths`,
      );
    }
  }
}

/** `server.endpoints.rate_limits`: every group, Authelia's buckets when none are given. */
function readRateLimits(ctx: ReadContext, path: string, value: unknown): Record<RateLimitName, RateLimitConfig> {
  const raw = readMapping(ctx, path, value, rateLimitNames) ?? {};
  const out = {} as Record<RateLimitName, RateLimitConfig>;
  for (const name of rateLimitNames) {
    out[name] = readRateLimit(ctx, keyPath(path, name), name, raw[name]);
    if (raw[name] === undefined) continue;
    const absent = absentEndpoints[name];
    if (absent) ctx.problems.warn(keyPath(path, name), `is accepted but has no effect: Gatehouse has no ${absent} endpoint`);
    const later = notLimitedYet[name];
    if (later) ctx.problems.warn(keyPath(path, name), `is accepted but has no effect yet: ${later}`);
  }
  return out;
}

function readRateLimit(ctx: ReadContext, path: string, name: RateLimitName, value: unknown): RateLimitConfig {
  const raw = readMapping(ctx, path, value, ['enable', 'buckets']) ?? {};
  const enable = readBoolean(ctx, keyPath(path, 'enable'), raw.enable, true);
  const given = readList(ctx, keyPath(path, 'buckets'), raw.buckets, (entry, at) => readBucket(ctx, at, entry));
  const empty = raw.buckets === undefined || raw.buckets === null || (Array.isArray(raw.buckets) && raw.buckets.length === 0);
  return { enable, buckets: empty ? defaultRateLimitBuckets[name] : given };
}

/** One bucket: `period` at least 10 seconds, `requests` at least 1 (Authelia's rules). */
function readBucket(ctx: ReadContext, path: string, value: unknown): RateLimitBucket | undefined {
  const raw = readMapping(ctx, path, value, ['period', 'requests']);
  if (!raw) return undefined;
  const period = readBucketPeriod(ctx, keyPath(path, 'period'), raw.period);
  if (raw.requests === undefined || raw.requests === null) {
    ctx.problems.error(keyPath(path, 'requests'), 'must be set (a number of requests, at least 1)');
    return undefined;
  }
  const requests = readInteger(ctx, keyPath(path, 'requests'), raw.requests, 0, { min: 1 });
  return period !== undefined && requests >= 1 ? { period, requests } : undefined;
}

function readBucketPeriod(ctx: ReadContext, path: string, value: unknown): number | undefined {
  if (value === undefined || value === null) {
    ctx.problems.error(path, 'must be set (a duration of at least 10 seconds, such as 1 minute)');
    return undefined;
  }
  const period = readDuration(ctx, path, value, -1);
  if (period < 0) return undefined;
  if (period < 10_000) {
    ctx.problems.error(path, `must be at least 10 seconds but is '${String(value)}'`);
    return undefined;
  }
  return period;
}
