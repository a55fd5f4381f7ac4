import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { defaultAuthzEndpoints } from '../../src/config/server-endpoints.js';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse-endpoints');
const withEndpoints = (endpoints: unknown) => ({ ...base, server: { address: 'tcp://127.0.0.1:0', endpoints } });
const endpointsOf = (endpoints: unknown) => configOf(withEndpoints(endpoints)).server.endpoints;
const warningsOf = (endpoints: unknown) => parseConfig(withEndpoints(endpoints), { env: {}, baseDir: '/tmp' }).warnings;

describe('server.endpoints.authz (Authelia keys, defaults and validation)', () => {
  it("is Authelia's four endpoints when absent or empty", () => {
    for (const authz of [undefined, {}]) {
      const read = endpointsOf(authz === undefined ? {} : { authz });
      expect(read.authz).toBe(defaultAuthzEndpoints);
      expect(read.authz.map((e) => [e.name, e.path, e.implementation, e.strategies.map((s) => s.name)])).toEqual([
        ['auth-request', '/api/authz/auth-request', 'AuthRequest', ['HeaderAuthorization', 'CookieSession']],
        ['ext-authz', '/api/authz/ext-authz', 'ExtAuthz', ['HeaderAuthorization', 'CookieSession']],
        ['forward-auth', '/api/authz/forward-auth', 'ForwardAuth', ['HeaderAuthorization', 'CookieSession']],
        ['legacy', '/api/verify', 'Legacy', ['HeaderLegacy', 'CookieSession']],
      ]);
    }
  });

  it("reads Authelia's Caddy suite endpoint with the implementation's default strategies (Basic only)", () => {
    expect(endpointsOf({ authz: { caddy: { implementation: 'ForwardAuth' } } }).authz).toEqual([
      {
        name: 'caddy',
        path: '/api/authz/caddy',
        implementation: 'ForwardAuth',
        strategies: [
          { name: 'HeaderAuthorization', schemes: ['basic'] },
          { name: 'CookieSession', schemes: [] },
        ],
      },
    ]);
  });

  it('reads schemes in any case, and a legacy endpoint without an implementation as Legacy', () => {
    const read = endpointsOf({
      authz: {
        legacy: {},
        'forward/auth_v': { implementation: 'ForwardAuth', authn_strategies: [{ name: 'HeaderProxyAuthorization', schemes: ['Bearer', 'BASIC'] }] },
      },
    });
    expect(read.authz.map((e) => [e.path, e.implementation, e.strategies])).toEqual([
      ['/api/authz/forward/auth_v', 'ForwardAuth', [{ name: 'HeaderProxyAuthorization', schemes: ['bearer', 'basic'] }]],
      [
        '/api/verify',
        'Legacy',
        [
          { name: 'HeaderLegacy', schemes: [] },
          { name: 'CookieSession', schemes: [] },
        ],
      ],
    ]);
  });

  it('refuses a strategy the implementation cannot use, naming the key', () => {
    const at = 'server.endpoints.authz';
    expect(
      problemsOf(withEndpoints({ authz: { nginx: { implementation: 'AuthRequest', authn_strategies: [{ name: 'HeaderProxyAuthorization' }] } } })),
    ).toEqual([
      `${at}.nginx.authn_strategies[0].name: 'HeaderProxyAuthorization' cannot be used with the implementation 'AuthRequest' (it takes 'CookieSession', 'HeaderAuthorization', 'HeaderAuthRequestProxyAuthorization')`,
    ]);
    expect(problemsOf(withEndpoints({ authz: { traefik: { implementation: 'ForwardAuth', authn_strategies: [{ name: 'HeaderLegacy' }] } } }))).toEqual([
      `${at}.traefik.authn_strategies[0].name: 'HeaderLegacy' cannot be used with the implementation 'ForwardAuth' (it takes 'CookieSession', 'HeaderAuthorization', 'HeaderProxyAuthorization')`,
    ]);
  });

  it('reports every other mistake at once, each with its dotted path', () => {
    const problems = problemsOf(
      withEndpoints({
        authz: {
          legacy: { implementation: 'ForwardAuth' },
          nothing: {},
          wrong: { implementation: 'forwardauth' },
          '-bad': { implementation: 'ForwardAuth' },
          envoy: { implementation: 'ExtAuthz' },
          'envoy/sub': { implementation: 'ForwardAuth' },
          twice: { implementation: 'ForwardAuth', authn_strategies: [{ name: 'CookieSession' }, { name: 'CookieSession' }] },
          schemes: {
            implementation: 'ForwardAuth',
            authn_strategies: [{ name: 'CookieSession', schemes: ['Basic'] }, { name: 'HeaderAuthorization', schemes: ['Digest'] }, { name: 'Nope' }],
          },
          cached: {
            implementation: 'ForwardAuth',
            authn_strategies: [{ name: 'HeaderAuthorization', schemes: ['Bearer'], scheme_basic_cache_lifespan: '1m' }],
          },
        },
      }),
    );
    const at = 'server.endpoints.authz';
    expect(problems).toEqual([
      `${at}.-bad: must be a name of letters, digits, /, ., _ and -, starting and ending with a letter`,
      `${at}.cached.authn_strategies[0].scheme_basic_cache_lifespan: can only be set with the 'Basic' scheme but the schemes are 'bearer'`,
      `${at}.legacy.implementation: must be 'Legacy' for the endpoint named 'legacy' (it answers /api/verify) but is 'ForwardAuth'`,
      `${at}.nothing.implementation: must be set but is absent`,
      `${at}.schemes.authn_strategies[0].schemes: is not an option of the strategy 'CookieSession'`,
      `${at}.schemes.authn_strategies[1].schemes[0]: must be 'Basic' or 'Bearer' but is 'Digest'`,
      `${at}.schemes.authn_strategies[2].name: must be one of 'CookieSession', 'HeaderAuthorization', 'HeaderProxyAuthorization', 'HeaderAuthRequestProxyAuthorization', 'HeaderLegacy' but is 'Nope'`,
      `${at}.twice.authn_strategies[1].name: names 'CookieSession' a second time; each strategy may be listed once`,
      `${at}.wrong.implementation: must be one of 'ForwardAuth', 'AuthRequest', 'ExtAuthz', 'Legacy' but is 'forwardauth'`,
      `${at}.envoy/sub: starts with the path of the endpoint 'envoy', whose implementation 'ExtAuthz' answers its sub-paths`,
    ]);
  });
});

describe('server.endpoints.enable_pprof / enable_expvars', () => {
  it('accepts false silently and refuses true in the unsupported-option grammar', () => {
    expect(warningsOf({ enable_pprof: false, enable_expvars: false })).toEqual([]);
    expect(problemsOf(withEndpoints({ enable_pprof: true, enable_expvars: true }))).toEqual([
      'server.endpoints.enable_pprof: is an Authelia option that Gatehouse does not support yet (Go profiling; use node --inspect or --cpu-prof instead)',
      "server.endpoints.enable_expvars: is an Authelia option that Gatehouse does not support yet (Go's expvar counters; use telemetry.metrics instead)",
    ]);
  });
});

describe('server.endpoints.rate_limits', () => {
  it("has Authelia's default buckets, enabled, the session-elevation ones in multiples of the elevation lifespans", () => {
    const { rateLimits } = endpointsOf({});
    expect(rateLimits.second_factor_totp).toEqual({
      enable: true,
      buckets: [
        { period: 60_000, requests: 30 },
        { period: 120_000, requests: 40 },
        { period: 600_000, requests: 50 },
      ],
    });
    expect(rateLimits.reset_password_start.buckets.map((b) => [b.period / 60_000, b.requests])).toEqual([
      [10, 5],
      [15, 10],
      [30, 15],
    ]);
    expect(rateLimits.session_elevation_start.buckets).toEqual([
      { period: 1, requests: 3, per: 'code_lifespan' },
      { period: 2, requests: 5, per: 'code_lifespan' },
      { period: 12, requests: 15, per: 'code_lifespan' },
    ]);
  });

  it("reads Authelia's documented example as written", () => {
    const { rateLimits } = endpointsOf({
      rate_limits: {
        reset_password_finish: {
          enable: true,
          buckets: [
            { period: '1 minute', requests: 10 },
            { period: '2 minutes', requests: 15 },
          ],
        },
        second_factor_totp: { enable: false },
      },
    });
    expect(rateLimits.reset_password_finish.buckets).toEqual([
      { period: 60_000, requests: 10 },
      { period: 120_000, requests: 15 },
    ]);
    expect(rateLimits.second_factor_totp.enable).toBe(false);
  });

  it('refuses a bad bucket with a clear message', () => {
    const at = 'server.endpoints.rate_limits.second_factor_totp.buckets';
    expect(
      problemsOf(
        withEndpoints({
          rate_limits: {
            second_factor_totp: {
              buckets: [{ period: '5s', requests: 3 }, { requests: 3 }, { period: '1m', requests: 0 }, { period: '1m' }, { period: 'soon', requests: 1 }],
            },
          },
        }),
      ),
    ).toEqual([
      `${at}[0].period: must be at least 10 seconds but is '5s'`,
      `${at}[1].period: must be set (a duration of at least 10 seconds, such as 1 minute)`,
      `${at}[2].requests: must be at least 1 but is 0`,
      `${at}[3].requests: must be set (a number of requests, at least 1)`,
      `${at}[4].period: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'`,
    ]);
  });

  it('accepts the Duo group with a warning that the endpoint does not exist here, and refuses an unknown group', () => {
    expect(warningsOf({ rate_limits: { second_factor_duo: { enable: true } } })).toEqual([
      'server.endpoints.rate_limits.second_factor_duo: is accepted but has no effect: Gatehouse has no Duo push endpoint',
    ]);
    expect(problemsOf(withEndpoints({ rate_limits: { second_factor_sms: {} } }))[0]).toMatch(
      /^server\.endpoints\.rate_limits\.second_factor_sms: is not a known key/,
    );
  });
});
