import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AuthzEndpoints } from '../authz/http.js';
import type { ServerTimeouts } from '../config/server.js';
import { refuseUpgrade, sendPage } from '../proxy/pages.js';
import type { ReverseProxy } from '../proxy/reverse-proxy.js';
import { stripBasePath } from '../shared/base-path.js';
import { isRequestViewError, readRequestView, type RequestViewError, type TrustFunction } from '../shared/http/request-view.js';
import { isTemporarilyUnavailable } from '../shared/errors.js';
import { StoreUnavailableError } from '../shared/store-unavailable.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ListenerOptions {
  readonly trust: TrustFunction;
  readonly timeouts: ServerTimeouts;
  readonly maxConnections: number;
  readonly logger: Logger;
  /** Key and certificate when `server.tls` is set: the listener serves HTTPS. */
  readonly tls: HttpsOptions | undefined;
  /** The built-in reverse proxy, when `proxy.upstreams` is not empty. */
  readonly proxy: { readonly server: ReverseProxy; readonly websocket: boolean } | undefined;
  /** The forward-auth endpoints, answered here (the fast path), never by fastify. */
  readonly authz: AuthzEndpoints;
  /** The path Gatehouse's own routes are served under (`server.path`): `''` (the default) or `/auth`. */
  readonly basePath?: string;
  /** `server.buffers.read`: the largest request head accepted (Node's `maxHeaderSize`, 16 KiB by default); a larger one is answered 431. */
  readonly maxHeaderSize?: number;
}

/**
 * fastify's `serverFactory`: the one request listener of every Gatehouse listener.
 *
 * Enforces, before any routing:
 * - the request's host and forwarding headers are read once (shared/http/request-view.ts); a
 *   malformed `Host`, a trusted peer's malformed `X-Forwarded-Host/Proto`, or an absolute-form
 *   target naming another host → 400 naming the header, before routing or deciding;
 * - a forward-auth question from a trusted peer (`/api/authz/…`, `/api/verify`) is answered by
 *   Gatehouse whatever its `Host`, even when that host is also a proxied upstream's;
 * - `server.path` (`/auth`): a request for Gatehouse itself (not for a proxied upstream) must be
 *   under it, and has it stripped here, once, before forward-auth or fastify see it
 *   (`/auth/api/state` → `/api/state`); any other target → 404. Proxied requests keep their path;
 * - a request head larger than `server.buffers.read` → 431 (Node's `maxHeaderSize`);
 * - requests for a `proxy.upstreams` host go to the reverse proxy, and the forward-auth endpoints
 *   of `server.endpoints.authz` (by default `GET|HEAD /api/authz/forward-auth|auth-request`,
 *   `ANY /api/authz/ext-authz[/…]`, `ANY /api/verify`) to authz/http.ts: neither passes through fastify's routing, hooks or body
 *   parsing. Everything else (portal, OpenID Connect, health, unknown paths) goes to fastify;
 * - `server.timeouts`: headers within `read`; the body of a request to Gatehouse itself within
 *   `read` of its headers; Gatehouse's own answer may stall at most `write`; a keep-alive
 *   connection waits at most `idle` for its next request. A proxied request's body and answer are
 *   bounded by the upstream's `timeout` instead (a long upload or download keeps flowing);
 * - at most `server.max_connections` connections at once.
 */
export function serverFactory(options: ListenerOptions) {
  const { trust, timeouts, logger } = options;
  const basePath = options.basePath ?? '';
  const proxy = options.proxy?.server;
  const authz = options.authz;
  return (fastifyHandler: Handler): Server => {
    const dispatch: Handler = (req, res) => {
      const view = readRequestView(req, trust);
      if (isRequestViewError(view)) return refuse(req, res, view, logger);
      // Gatehouse's own target: under server.path the path stripped, as Authelia does; a target outside
      // it is served as sent, as Authelia also does (a proxy may call /api/authz/… without the path).
      const own = req.url === undefined ? undefined : (stripBasePath(basePath, req.url) ?? req.url);
      const route = proxy !== undefined && !(view.trusted && isAuthzPath(own)) ? proxy.route(req, view) : undefined;
      if (route === undefined) {
        if (own === undefined) return notFound(req, res);
        req.url = own;
        const endpoint = authz.match(req.method, req.url);
        if (endpoint !== undefined) return authz.handle(req, res, view, endpoint);
        if (hasBody(req)) bodyDeadline(req, res, timeouts.read);
        return fastifyHandler(req, res);
      }
      proxy!.web(req, res, route).catch((error: unknown) => {
        if (isTemporarilyUnavailable(error)) {
          // Nothing could be verified (a store lost, password hashing at its limit): refused, never passed through.
          const store = error instanceof StoreUnavailableError ? { store: error.store, reason: error.reason } : {};
          logger.info({ code: error.code, ...store, host: route.view.host?.host }, 'proxy: refused, temporarily unavailable');
          return sendPage(res, 503);
        }
        logger.error({ err: error, host: route.view.host?.host }, 'proxy: request failed');
        sendPage(res, 500);
      });
    };
    const tls = options.tls;
    const http: ServerOptions = {
      headersTimeout: timeouts.read,
      // Node's requestTimeout would also cut a long proxied upload: bodies are timed in bodyDeadline.
      requestTimeout: 0,
      keepAliveTimeout: timeouts.idle,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.read / 4))),
      ...(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }),
    };
    const server = tls ? createHttpsServer({ ...tls, ...http }, dispatch) : createHttpServer(http, dispatch);
    server.keepAliveTimeout = timeouts.idle;
    server.setTimeout(timeouts.write);
    server.maxConnections = options.maxConnections;
    if (options.proxy?.websocket && proxy) {
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.on('error', () => socket.destroy());
        const view = readRequestView(req, trust);
        if (isRequestViewError(view)) {
          logger.info({ ip: req.socket.remoteAddress, header: view.header, reason: view.message }, 'request refused: malformed host or forwarding header');
          return refuseUpgrade(socket, 400);
        }
        socket.setTimeout(0);
        proxy.upgrade(req, socket, head, view).catch((error: unknown) => {
          if (isTemporarilyUnavailable(error)) return refuseUpgrade(socket, 503);
          logger.error({ err: error, host: req.headers.host }, 'proxy: upgrade failed');
          socket.destroy();
        });
      });
    }
    return server;
  };
}

/** The forward-auth endpoints' paths: Gatehouse answers them on every host. */
export function isAuthzPath(url: string | undefined): boolean {
  if (url === undefined) return false;
  if (url.startsWith('/api/authz/')) return true;
  return url.startsWith('/api/verify') && (url.length === 11 || url[11] === '?' || url[11] === '/');
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Ends the connection with 408 when the body of a request to Gatehouse has not arrived within `ms`. */
function bodyDeadline(req: IncomingMessage, res: ServerResponse, ms: number): void {
  const timer = setTimeout(() => {
    const socket = req.socket;
    if (!res.headersSent && socket.writable) socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  }, ms);
  const clear = () => clearTimeout(timer);
  req.once('end', clear);
  req.once('close', clear);
  res.once('finish', clear);
}

/** The 404 answer to a request for Gatehouse itself outside `server.path`. */
function notFound(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : '404 Not Found\n');
}

/** The 400 answer to a request whose host or forwarding headers cannot be read. */
function refuse(req: IncomingMessage, res: ServerResponse, error: RequestViewError, logger: Logger): void {
  logger.info({ ip: req.socket.remoteAddress, header: error.header, reason: error.message }, 'request refused: malformed host or forwarding header');
  res.writeHead(400, badRequestHeaders);
  res.end(req.method === 'HEAD' ? undefined : `400 Bad Request\n${error.message}\n`);
}

/** Headers of the plain-text 400 answer (also used by fastify's gate in build.ts). */
export const badRequestHeaders = {
  'content-type': 'text/plain; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  connection: 'close',
} as const;
