import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { AuthzDeps } from '../authz/endpoint.js';
import type { OidcDeps } from '../oidc/deps.js';
import type { PortalDeps } from '../portal/deps.js';
import type { ReverseProxy } from '../proxy/reverse-proxy.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import type { Random } from '../shared/random.js';
import type { Storage } from '../storage/storage.js';
import { renderError, renderNotFound } from './error-handler.js';
import { proxyServerFactory } from './listener.js';
import { RequestLogController } from './request-log.js';
import { routeTable } from './routes.js';
import type { TrustFunction } from './trust.js';

/** The services built once at start and handed to every area. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  readonly storage: Storage;
  readonly sessions: SessionManager;
  /** `server.trusted_proxies` as a memoised trust test, shared by fastify, forward-auth and the proxy. */
  readonly trust: TrustFunction;
  readonly portal: PortalDeps;
  readonly authz: AuthzDeps;
  /** The OpenID Connect provider; absent when `identity_providers.oidc` is not configured. */
  readonly oidc: OidcDeps | undefined;
  /** The built-in reverse proxy; absent when `proxy.upstreams` is empty. */
  readonly proxy: { readonly server: ReverseProxy; readonly websocket: boolean } | undefined;
}

/** Builds the fastify application (not listening yet). */
export async function buildServer(services: Services): Promise<FastifyInstance> {
  const { config, logger } = services;
  const tls = config.server.tls;
  // With TLS fastify's types change to https'; the application API is the same.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLogController(),
    trustProxy: services.trust,
    return503OnClosing: true,
    // Inputs are validated as sent: a number is not a password, "true" is not a boolean.
    ajv: { customOptions: { coerceTypes: false } },
    forceCloseConnections: 'idle',
    ...(tls ? { https: { key: readFileSync(tls.key), cert: readFileSync(tls.certificate) } } : {}),
    ...(services.proxy ? { serverFactory: proxyServerFactory(services.proxy.server, services.proxy.websocket, logger) } : {}),
  }) as unknown as FastifyInstance;
  await app.register(cookie);
  await app.register(formbody);
  drainOnClose(app);
  const proxy = services.proxy?.server;
  if (proxy) app.addHook('preClose', async () => proxy.closeTunnels());
  app.setErrorHandler(renderError);
  app.setNotFoundHandler(renderNotFound);
  for (const route of routeTable({ portal: services.portal, authz: services.authz, oidc: services.oidc })) app.route(route);
  return app;
}

/**
 * While closing, responses carry `Connection: close`, so keep-alive connections whose request
 * was in flight end with it instead of holding shutdown open until their idle timeout.
 */
function drainOnClose(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
}
