import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { AuthzEndpoints } from '../authz/http.js';
import type { OidcDeps } from '../oidc/deps.js';
import type { PortalDeps } from '../portal/deps.js';
import type { ReverseProxy } from '../proxy/reverse-proxy.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import type { Observer, RequestGroup } from '../shared/observe.js';
import type { Random } from '../shared/random.js';
import type { Storage } from '../storage/storage.js';
import { errorRenderer, renderNotFound } from './error-handler.js';
import type { HealthCheck } from './health.js';
import { chrome } from '../portal/handlers/common.js';
import { badRequestHeaders, serverFactory } from './listener.js';
import { RequestLogController } from './request-log.js';
import { routeTable } from './routes.js';
import { isRequestViewError, readRequestView, type TrustFunction } from '../shared/http/request-view.js';

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
  /** The forward-auth endpoints, answered by the listener ahead of fastify (authz/http.ts). */
  readonly authz: AuthzEndpoints;
  /** Request ids, one counter for fastify and the forward-auth fast path. */
  readonly requestId: () => string;
  /** The OpenID Connect provider; absent when `identity_providers.oidc` is not configured. */
  readonly oidc: OidcDeps | undefined;
  /** The built-in reverse proxy; absent when `proxy.upstreams` is empty. */
  readonly proxy: { readonly server: ReverseProxy; readonly websocket: boolean } | undefined;
  /** The stores `/api/health` probes. */
  readonly health: HealthCheck;
  /** The audit log and the metrics (shared/observe.ts). */
  readonly observer: Observer;
}

/** Builds the fastify application (not listening yet). */
export async function buildServer(services: Services): Promise<FastifyInstance> {
  const { config, logger } = services;
  const tls = config.server.tls;
  // TLS is the listener's business (listener.ts): fastify's types stay the same with or without it.
  // pino's Logger is a FastifyBaseLogger: typed as such, the instance is the plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance,
    logController: new RequestLogController(),
    trustProxy: services.trust,
    genReqId: services.requestId,
    return503OnClosing: true,
    // Inputs are validated as sent: a number is not a password, "true" is not a boolean.
    ajv: { customOptions: { coerceTypes: false } },
    forceCloseConnections: 'idle',
    serverFactory: serverFactory({
      tls: tls ? { key: readFileSync(tls.key), cert: readFileSync(tls.certificate) } : undefined,
      trust: services.trust,
      timeouts: config.server.timeouts,
      maxConnections: config.server.maxConnections,
      logger,
      proxy: services.proxy,
      authz: services.authz,
      basePath: config.server.path,
      maxHeaderSize: config.server.buffers.read,
    }),
  });
  readViewFirst(app, services.trust);
  await app.register(cookie);
  await app.register(formbody);
  drainOnClose(app, services.authz);
  if (services.observer.timed) countRequests(app, services.observer);
  const proxy = services.proxy?.server;
  if (proxy) app.addHook('preClose', async () => proxy.closeTunnels());
  app.setErrorHandler(errorRenderer(chrome(services.portal)));
  app.setNotFoundHandler(renderNotFound);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  for (const addRoute of routeTable({ portal: services.portal, oidc: services.oidc, health: services.health, rateLimits: config.server.endpoints.rateLimits }))
    addRoute(typed);
  return app;
}

/**
 * Every fastify request has its view (host, forwarding headers, client IP) read before routing:
 * the listener reads it first for real connections; this gate covers `inject` and refuses a
 * malformed host with the listener's 400, so handlers can rely on `requestViewOf`.
 */
function readViewFirst(app: FastifyInstance, trust: TrustFunction): void {
  app.addHook('onRequest', (request, reply, done) => {
    const view = readRequestView(request.raw, trust);
    if (!isRequestViewError(view)) return done();
    request.log.info({ header: view.header, reason: view.message }, 'request refused: malformed host or forwarding header');
    void reply.status(400).headers(badRequestHeaders).send(`400 Bad Request\n${view.message}\n`);
  });
}

/** With metrics: each request fastify answered, by group (from its route), status and duration. */
function countRequests(app: FastifyInstance, observer: Observer): void {
  app.addHook('onResponse', (request, reply, done) => {
    observer.request(groupOf(request.routeOptions.url), reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/** The metrics group of a fastify route (undefined: no route matched). */
function groupOf(route: string | undefined): RequestGroup {
  if (route === undefined) return 'other';
  if (route === '/api/health') return 'health';
  if (route.startsWith('/api/oidc/') || route.startsWith('/.well-known/') || route === '/jwks.json' || route === '/consent') return 'oidc';
  return 'portal';
}

/**
 * While closing, responses carry `Connection: close` (the forward-auth fast path's too), so keep-alive connections whose request
 * was in flight end with it instead of holding shutdown open until their idle timeout.
 */
function drainOnClose(app: FastifyInstance, authz: AuthzEndpoints): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
    authz.drain();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
}
