import type { Logger } from 'pino';
import type { Regulator } from '../auth/regulation/regulator.js';
import type { UserBackend } from '../auth/users/user.js';
import { basicChecker } from '../authz/basic-strategy.js';
import { Authorizer } from '../authz/evaluate.js';
import type { AuthzDeps } from '../authz/endpoint.js';
import type { Config } from '../config/config.js';
import { ReverseProxy } from '../proxy/reverse-proxy.js';
import { UpstreamTable } from '../proxy/upstream-table.js';
import type { RuleSet } from '../rules/compile.js';
import type { SessionManager } from '../session/manager.js';
import type { Services } from './build.js';
import type { TrustFunction } from './trust.js';

/**
 * Builds the forward-auth endpoints' dependencies and, when `proxy.upstreams` is not empty, the
 * reverse proxy — both over one Authorizer, so a request gets the same answer either way.
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
  },
  closers: (() => Promise<void>)[],
): Pick<Services, 'authz' | 'proxy'> {
  const authorizer = new Authorizer({
    rules: s.rules,
    sessions: s.sessions,
    basic: basicChecker({ users: s.users, regulator: s.regulator }),
  });
  const authz: AuthzDeps = { authorizer };
  const table = new UpstreamTable(s.config.proxy.upstreams);
  if (table.size === 0) return { authz, proxy: undefined };
  const server = new ReverseProxy({
    table,
    authorizer,
    logger: s.logger,
    sessionCookies: [...new Set(s.config.session.cookies.map((c) => c.name))],
  });
  closers.push(async () => server.close());
  return { authz, proxy: { server, websocket: table.hasWebsocket } };
}
