import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { sendPage } from '../proxy/pages.js';
import type { ReverseProxy } from '../proxy/reverse-proxy.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface FactoryOptions {
  readonly https?: HttpsOptions | boolean | null;
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
}

/**
 * fastify's `serverFactory` when proxy upstreams are configured: one listener where requests for
 * an upstream's host go to the reverse proxy (no fastify routing, hooks or body parsing on the
 * way) and everything else — the portal's host, the API, OIDC — to fastify. WebSocket
 * handshakes are listened for only when some upstream takes them.
 */
export function proxyServerFactory(proxy: ReverseProxy, websocket: boolean, logger: Logger) {
  return (fastifyHandler: Handler, options: FactoryOptions): Server => {
    const dispatch: Handler = (req, res) => {
      const route = proxy.route(req);
      if (route === undefined) return fastifyHandler(req, res);
      proxy.web(req, res, route).catch((error: unknown) => {
        logger.error({ err: error, host: req.headers.host }, 'proxy: request failed');
        sendPage(res, 500);
      });
    };
    const tls = typeof options.https === 'object' && options.https !== null ? options.https : undefined;
    const server = tls ? createHttpsServer(tls, dispatch) : createHttpServer(dispatch);
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
    if (websocket) {
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.on('error', () => socket.destroy());
        proxy.upgrade(req, socket, head).catch((error: unknown) => {
          logger.error({ err: error, host: req.headers.host }, 'proxy: upgrade failed');
          socket.destroy();
        });
      });
    }
    return server;
  };
}
