import type { Logger } from 'pino';
import type { Regulator } from '../auth/regulation/regulator.js';
import type { UserBackend } from '../auth/users/user.js';
import { basicChecker } from '../authz/basic-strategy.js';
import { type BearerCheck, bearerChecker } from '../authz/bearer-strategy.js';
import { Authorizer } from '../authz/evaluate.js';
import { AuthzEndpoints } from '../authz/http.js';
import type { Config } from '../config/config.js';
import { bearerAuthzScopes } from '../config/oidc-client.js';
import type { OidcDeps } from '../oidc/deps.js';
import { accessTokensOf } from '../oidc/token-check.js';
import { ReverseProxy } from '../proxy/reverse-proxy.js';
import { UpstreamTable } from '../proxy/upstream-table.js';
import type { RuleSet } from '../rules/compile.js';
import type { SessionManager } from '../session/manager.js';
import type { Observer } from '../shared/observe.js';
import type { Services } from './build.js';
import type { TrustFunction } from './trust.js';

/**
 * Bearer authorisation is on when the provider is configured and one of its clients may ask
 * for `gatehouse.bearer.authz` / `authelia.bearer.authz`: otherwise no token could ever pass,
 * and a `Bearer` header meant for an application is left alone, as before.
 */
function bearerAuthorisation(oidc: OidcDeps | undefined, users: UserBackend): BearerCheck | undefined {
  if (!oidc?.config.clients.some((c) => c.scopes.some((scope) => bearerAuthzScopes.includes(scope)))) return undefined;
  return bearerChecker({ tokens: accessTokensOf(oidc), clients: oidc.clients, users });
}

/**
 * Builds the forward-auth endpoints (answered on the raw listener, authz/http.ts) and, when `proxy.upstreams` is not empty, the
 * reverse proxy — both over one Authorizer, so a request gets the same answer either way
 * (session cookie, Basic credentials, or a Bearer access token of the provider).
 */
export function authzServices(
  s: {
    readonly config: Config;
    readonly rules: RuleSet;
    readonly sessions: SessionManager;
    readonly users: UserBackend;
    readonly regulator: Regulator;
    readonly logger: Logger;
    readonly trust: TrustFunction;
    /** Request ids shared with fastify's `genReqId`. */
    readonly requestId: () => string;
    /** The OpenID Connect provider, whose access tokens may authorise requests (Bearer). */
    readonly oidc?: OidcDeps | undefined;
    /** Counts each decision and request (the metrics). */
    readonly observer: Observer;
  },
  closers: (() => Promise<void>)[],
): Pick<Services, 'authz' | 'proxy'> {
  const authorizer = new Authorizer({
    rules: s.rules,
    sessions: s.sessions,
    basic: basicChecker({ users: s.users, regulator: s.regulator }),
    bearer: bearerAuthorisation(s.oidc, s.users),
  });
  const authz = new AuthzEndpoints({ authorizer, logger: s.logger, requestId: s.requestId, observer: s.observer, endpoints: s.config.server.endpoints.authz });
  const table = new UpstreamTable(s.config.proxy.upstreams);
  if (table.size === 0) return { authz, proxy: undefined };
  const server = new ReverseProxy({
    table,
    authorizer,
    logger: s.logger,
    observer: s.observer,
    sessionCookies: [...new Set(s.config.session.cookies.map((c) => c.name))],
  });
  closers.push(async () => server.close());
  return { authz, proxy: { server, websocket: table.hasWebsocket } };
}
