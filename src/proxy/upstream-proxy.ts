import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import type { UpstreamConfig } from '../config/proxy.js';
import { GatehouseError } from '../shared/errors.js';
import { cleanResponseHeaders } from './header-hygiene.js';

/** The upstream stayed silent longer than its `timeout`. */
export class UpstreamTimeoutError extends GatehouseError {
  constructor(message: string) {
    super('GH_UPSTREAM_TIMEOUT', message);
  }
}

export type ProxyFailure = (error: Error & { code?: string }, req: IncomingMessage, res: ServerResponse | Socket) => void;

/**
 * `http-proxy`, with its known hazards neutralised (perf-security.md):
 * - a keep-alive agent per scheme (without one every upstream connection is closed: 10× slower);
 * - the `deleteLength` web pass removed: it turned a chunked DELETE/OPTIONS body into a second,
 *   smuggled request (node-http-proxy #1720/#1721, the bug of CVE-2026-29057);
 * - `xfwd` off: forwarding headers are set by header-hygiene.ts, never appended to the client's;
 * - hop-by-hop fields of the response removed, `Connection` set from the client's request;
 * - `timeout` per upstream (504), and a client that goes away tears the upstream request down.
 */
export class UpstreamProxy {
  readonly #proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, prependPath: false, ignorePath: false });
  readonly #agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 }),
  };
  readonly #timeouts = new WeakMap<IncomingMessage, number>();
  readonly #tunnels = new Set<Socket>();

  constructor(private readonly onFailure: ProxyFailure) {
    const proxy = this.#proxy as unknown as { webPasses: ((...args: unknown[]) => unknown)[] };
    proxy.webPasses = proxy.webPasses.filter((pass) => pass.name !== 'deleteLength');
    this.#proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage, res: ServerResponse) => this.#watch(proxyReq, req, res));
    this.#proxy.on('proxyReqWs', (proxyReq: ClientRequest, req: IncomingMessage, socket: Socket) => this.#watchWs(proxyReq, req, socket));
    this.#proxy.on('proxyRes', (proxyRes: IncomingMessage, _req: IncomingMessage, res: ServerResponse) => {
      cleanResponseHeaders(proxyRes.headers, res.shouldKeepAlive !== false);
    });
    // Errors without a callback (the ws pass after the handshake) must never crash the process.
    this.#proxy.on('error', (error: Error, req: IncomingMessage, res: ServerResponse | Socket) => this.onFailure(error, req, res));
  }

  /** Streams `req` to `upstream` (headers already prepared). */
  web(req: IncomingMessage, res: ServerResponse, upstream: UpstreamConfig): void {
    this.#timeouts.set(req, upstream.timeout);
    this.#proxy.web(req, res, this.#options(upstream), (error) => this.onFailure(error as Error, req, res));
  }

  /** Passes an authorised WebSocket handshake to `upstream`. */
  ws(req: IncomingMessage, socket: Socket, head: Buffer, upstream: UpstreamConfig): void {
    this.#timeouts.set(req, upstream.timeout);
    this.#proxy.ws(req, socket, head, this.#options(upstream), (error) => this.onFailure(error as Error, req, socket));
  }

  /** Ends every WebSocket still open (at shutdown: the listener cannot close while they are). */
  closeTunnels(): void {
    for (const socket of this.#tunnels) socket.destroy();
    this.#tunnels.clear();
  }

  close(): void {
    this.closeTunnels();
    this.#proxy.close();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #options(upstream: UpstreamConfig): httpProxy.ServerOptions {
    return {
      target: upstream.target.href,
      agent: upstream.target.protocol === 'https:' ? this.#agents.https : this.#agents.http,
      changeOrigin: !upstream.preserveHost,
    };
  }

  #timeout(proxyReq: ClientRequest, req: IncomingMessage): void {
    const ms = this.#timeouts.get(req);
    if (ms !== undefined) proxyReq.setTimeout(ms, () => proxyReq.destroy(new UpstreamTimeoutError(`no answer from the upstream within ${ms} ms`)));
  }

  /** Either side of a WebSocket closing closes the other (http-proxy leaves the upstream open). */
  #watchWs(proxyReq: ClientRequest, req: IncomingMessage, socket: Socket): void {
    this.#timeout(proxyReq, req);
    this.#tunnels.add(socket);
    socket.once('close', () => {
      this.#tunnels.delete(socket);
      proxyReq.destroy();
    });
    proxyReq.once('upgrade', (_res: IncomingMessage, upstream: Socket) => {
      upstream.setTimeout(0);
      socket.once('close', () => upstream.destroy());
      upstream.once('close', () => socket.destroy());
    });
  }

  #watch(proxyReq: ClientRequest, req: IncomingMessage, res: ServerResponse): void {
    this.#timeout(proxyReq, req);
    // The client went away before the answer was complete: stop the upstream request too.
    const abort = () => {
      if (!res.writableFinished) proxyReq.destroy();
    };
    if (res.destroyed) abort();
    else res.once('close', abort);
  }
}
