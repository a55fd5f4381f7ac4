import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
// Before http-proxy: it takes util._extend when it loads (util-extend.ts).
import './util-extend.js';
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

/** Methods sent again after a reset on a reused connection (see `UpstreamProxy.#mayResend`). */
const resentMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How many times in a row: each failed attempt used up one stale pooled connection. */
const maxResends = 3;

export type ProxyFailure = (error: Error & { code?: string }, req: IncomingMessage, res: ServerResponse | Socket) => void;

/**
 * http-proxy called with a callback and no per-request options: its typings always put options
 * before the callback, but an options argument (even `undefined`) makes it copy every option and
 * parse the target again on each request.
 */
interface CallbackOnly {
  web(req: IncomingMessage, res: ServerResponse, callback: (error: Error) => void): void;
  ws(req: IncomingMessage, socket: Socket, head: Buffer, callback: (error: Error) => void): void;
}

/**
 * `http-proxy`, with its known hazards neutralised (perf-security.md):
 * - a keep-alive agent per scheme (without one every upstream connection is closed: 10× slower);
 * - the `deleteLength` web pass removed: it turned a chunked DELETE/OPTIONS body into a second,
 *   smuggled request (node-http-proxy #1720/#1721, the bug of CVE-2026-29057);
 * - `xfwd` off: forwarding headers are set by header-hygiene.ts, never appended to the client's;
 * - hop-by-hop fields of the response removed, `Connection` set from the client's request;
 * - `timeout` per upstream (504), and a client that goes away tears the upstream request down;
 * - a request reset on a reused keep-alive connection before any answer is sent again (below).
 */
export class UpstreamProxy {
  readonly #agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 }),
  };
  /**
   * One http-proxy server per upstream, its options fixed at creation: a request passes no
   * options, so http-proxy neither copies them nor parses the target URL per request (it parses
   * it once, on the first request). One entry per configured upstream: bounded by the config.
   */
  readonly #servers = new Map<UpstreamConfig, httpProxy>();
  readonly #tunnels = new Set<Socket>();
  /** The upstream request last sent for a client request (whether its connection was a reused one). */
  readonly #sent = new WeakMap<IncomingMessage, ClientRequest>();

  constructor(private readonly onFailure: ProxyFailure) {}

  /** Streams `req` to `upstream` (headers already prepared). */
  web(req: IncomingMessage, res: ServerResponse, upstream: UpstreamConfig): void {
    const server = this.#serverFor(upstream) as unknown as CallbackOnly;
    const attempt = (retries: number): void =>
      server.web(req, res, (error: Error) => {
        if (retries < maxResends && this.#mayResend(req, res, error)) return attempt(retries + 1);
        this.onFailure(error, req, res);
      });
    attempt(0);
  }

  /**
   * Whether a failed upstream request is sent again. An upstream closes an idle keep-alive
   * connection when its own timeout says so; a request written to it at that moment is reset
   * before any answer (the race Node.js documents with `request.reusedSocket`; a proxy starved
   * of CPU loses it more often, its idle timer running late). Such a request is sent again, on
   * another connection, when nothing of it can have been acted on twice: the connection was a
   * reused one, it was reset, nothing was answered yet, and the request is a bodiless GET, HEAD
   * or OPTIONS (safe methods, RFC 9110 §9.2.1 and §9.2.2). A fresh connection's failure, a body
   * or another method is answered 502 as before.
   */
  #mayResend(req: IncomingMessage, res: ServerResponse, error: Error & { code?: string }): boolean {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') return false;
    if (this.#sent.get(req)?.reusedSocket !== true || res.headersSent || req.socket.destroyed) return false;
    const bodiless = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
    return bodiless && resentMethods.has(req.method ?? '');
  }

  /** Passes an authorised WebSocket handshake to `upstream`. */
  ws(req: IncomingMessage, socket: Socket, head: Buffer, upstream: UpstreamConfig): void {
    const server = this.#serverFor(upstream) as unknown as CallbackOnly;
    server.ws(req, socket, head, (error: Error) => this.onFailure(error, req, socket));
  }

  /** Ends every WebSocket still open (at shutdown: the listener cannot close while they are). */
  closeTunnels(): void {
    for (const socket of this.#tunnels) socket.destroy();
    this.#tunnels.clear();
  }

  close(): void {
    this.closeTunnels();
    for (const server of this.#servers.values()) server.close();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #serverFor(upstream: UpstreamConfig): httpProxy {
    const known = this.#servers.get(upstream);
    if (known) return known;
    const server = httpProxy.createProxyServer({
      target: upstream.target.href,
      agent: upstream.target.protocol === 'https:' ? this.#agents.https : this.#agents.http,
      changeOrigin: !upstream.preserveHost,
      xfwd: false,
      ws: true,
      prependPath: false,
      ignorePath: false,
    });
    const passes = server as unknown as { webPasses: ((...args: unknown[]) => unknown)[] };
    passes.webPasses = passes.webPasses.filter((pass) => pass.name !== 'deleteLength');
    const timeout = upstream.timeout;
    server.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage, res: ServerResponse) => {
      this.#sent.set(req, proxyReq);
      this.#watch(proxyReq, res, timeout);
    });
    server.on('proxyReqWs', (proxyReq: ClientRequest, _req: IncomingMessage, socket: Socket) => this.#watchWs(proxyReq, socket, timeout));
    server.on('proxyRes', (proxyRes: IncomingMessage, _req: IncomingMessage, res: ServerResponse) => {
      cleanResponseHeaders(proxyRes.headers, res.shouldKeepAlive !== false);
    });
    // Errors without a callback (the ws pass after the handshake) must never crash the process.
    server.on('error', (error: Error, req: IncomingMessage, res: ServerResponse | Socket) => this.onFailure(error, req, res));
    this.#servers.set(upstream, server);
    return server;
  }

  #timeout(proxyReq: ClientRequest, ms: number): void {
    proxyReq.setTimeout(ms, () => proxyReq.destroy(new UpstreamTimeoutError(`no answer from the upstream within ${ms} ms`)));
  }

  /** Either side of a WebSocket closing closes the other (http-proxy leaves the upstream open). */
  #watchWs(proxyReq: ClientRequest, socket: Socket, timeout: number): void {
    this.#timeout(proxyReq, timeout);
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

  #watch(proxyReq: ClientRequest, res: ServerResponse, timeout: number): void {
    this.#timeout(proxyReq, timeout);
    // The client went away before the answer was complete: stop the upstream request too.
    const abort = () => {
      if (!res.writableFinished) proxyReq.destroy();
    };
    if (res.destroyed) abort();
    else res.once('close', abort);
  }
}
