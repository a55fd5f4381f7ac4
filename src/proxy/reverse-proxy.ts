/**
 * The built-in reverse proxy: requests whose host is a configured upstream's `domain` are
 * authorised and streamed to it; everything else (the portal's host, the API) goes to fastify.
 *
 * Enforces:
 * - one host decides and routes: the request's `Host`, parsed once by the listener
 *   (shared/http/request-view.ts), picks the upstream AND is the host the rules judge; a
 *   malformed `Host` never gets here (400). `X-Forwarded-Host` is not used for routing, even from
 *   a trusted peer: the host a front proxy routed on is the `Host` it passes (proxy.conf);
 * - the same evaluation as forward-auth (authz/evaluate.ts) on `proto://host/path`
 *   (a trusted peer's `X-Forwarded-Proto` believed, proxy-addr client IP), with the session
 *   cookie or an `Authorization: Bearer` access token (refused: 401 with `WWW-Authenticate`);
 * - only origin-form targets (`/path`); absolute-form and dot-segment paths (`/a/../b`,
 *   `%2e%2e`) are refused with 400 before evaluation, so what is authorised is what is sent;
 * - allowed → header hygiene (header-hygiene.ts) then streaming through upstream-proxy.ts;
 *   log in → 302/303 to the portal (401 for XHR / non-HTML); forbidden → 403; malformed → 400;
 * - WebSocket upgrades only for upstreams with `websocket: true`, authorised the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseCookie } from 'cookie';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/proxy.js';
import { type Authorizer, loginStatus, type Verdict } from '../authz/evaluate.js';
import type { Authority } from '../shared/authority.js';
import { type RequestView, requestViewOf } from '../shared/http/request-view.js';
import { type Observer, silentObserver } from '../shared/observe.js';
import { requestUrl } from '../shared/request-url.js';
import { prepareUpstreamHeaders } from './header-hygiene.js';
import { refuseUpgrade, sendPage } from './pages.js';
import type { UpstreamTable } from './upstream-table.js';
import { UpstreamProxy, UpstreamTimeoutError } from './upstream-proxy.js';

export interface ReverseProxyOptions {
  readonly table: UpstreamTable;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  /** Names of the session cookies, removed from what upstreams receive. */
  readonly sessionCookies: readonly string[];
  /** Counts decisions and, with metrics, each answered request and its duration (default: nobody). */
  readonly observer?: Observer | undefined;
}

/** A request this proxy takes, with what was read to decide so. */
export interface ProxyRoute {
  readonly upstream: UpstreamConfig;
  readonly view: RequestView;
  /** The parsed `Host` that chose `upstream`: the rules judge this same value. */
  readonly host: Authority;
}

const dotSegment = /(?:^|\/)(?:\.|%2e){1,2}(?:[/?;#]|$)/i;

export class ReverseProxy {
  readonly #upstream: UpstreamProxy;
  readonly #observer: Observer;

  constructor(private readonly options: ReverseProxyOptions) {
    this.#upstream = new UpstreamProxy((error, req, res) => this.#failed(error, req, res));
    this.#observer = options.observer ?? silentObserver;
  }

  /** The upstream `req` is for, or undefined when it is fastify's (portal, API, unknown hosts). */
  route(req: IncomingMessage, view: RequestView): ProxyRoute | undefined {
    const host = view.host;
    if (host === undefined || this.options.table.size === 0) return undefined;
    const target = req.url ?? '/';
    // An absolute-form target for an upstream host is taken too, so that it is refused (400).
    const upstream = this.options.table.match(host.hostname, target.startsWith('/') ? target : '/');
    return upstream && { upstream, view, host };
  }

  /** Authorises and proxies one request. */
  async web(req: IncomingMessage, res: ServerResponse, route: ProxyRoute): Promise<void> {
    if (this.#observer.timed) timeAnswer(res, this.#observer);
    const verdict = this.#decided(await this.#authorise(req, route));
    if (verdict.kind !== 'allow') return this.#answer(req, res, verdict);
    prepareUpstreamHeaders(req, route.view, verdict.identity, { sessionCookies: this.options.sessionCookies });
    // From here the upstream's `timeout` bounds the exchange, not `server.timeouts.write`: a long
    // upload or download that keeps flowing is the upstream's business.
    req.socket.setTimeout(0);
    this.#upstream.web(req, res, route.upstream);
  }

  /** Authorises and proxies one WebSocket handshake; refused ones are answered and closed. */
  async upgrade(req: IncomingMessage, socket: Socket, head: Buffer, view: RequestView): Promise<void> {
    const route = this.route(req, view);
    if (!route?.upstream.websocket || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return refuseUpgrade(socket, 400);
    }
    const verdict = this.#decided(await this.#authorise(req, route));
    if (verdict.kind !== 'allow') {
      this.#log(req, verdict);
      return refuseUpgrade(socket, verdict.kind === 'forbidden' ? 403 : verdict.kind === 'login' ? 401 : 400, challengeOf(verdict));
    }
    prepareUpstreamHeaders(req, route.view, verdict.identity, { sessionCookies: this.options.sessionCookies, upgrade: true });
    this.#upstream.ws(req, socket, head, route.upstream);
  }

  /** Ends open WebSockets, so that the listener can close (call before closing it). */
  closeTunnels(): void {
    this.#upstream.closeTunnels();
  }

  close(): void {
    this.#upstream.close();
  }

  async #authorise(req: IncomingMessage, { view, host }: ProxyRoute): Promise<Verdict> {
    const target = req.url ?? '';
    if (!target.startsWith('/') || target.startsWith('//'))
      return { kind: 'invalid', reason: `the request target '${target.slice(0, 80)}' is not origin-form` };
    if (dotSegment.test(target.split('?')[0] ?? '')) return { kind: 'invalid', reason: `the path '${target.slice(0, 80)}' has dot-segments` };
    let cookies: Record<string, string | undefined> | undefined;
    const header = req.headers.cookie;
    return this.options.authorizer.evaluate({
      url: requestUrl(view.proto, host, target),
      method: req.method ?? 'GET',
      ip: view.ip,
      authorization: req.headers.authorization,
      cookie: (name) => {
        if (header === undefined) return undefined;
        cookies ??= parseCookie(header);
        return cookies[name];
      },
    });
  }

  /** Counts the decision (the metrics), whatever it is. */
  #decided(verdict: Verdict): Verdict {
    this.#observer.authz('proxy', verdict.kind, verdict.kind === 'invalid' ? undefined : verdict.policy);
    return verdict;
  }

  #answer(req: IncomingMessage, res: ServerResponse, verdict: Exclude<Verdict, { kind: 'allow' }>): void {
    this.#log(req, verdict);
    const close = closeIfBodyPending(req);
    if (verdict.kind !== 'login') {
      sendPage(res, verdict.kind === 'forbidden' ? 403 : 400, close);
      return;
    }
    const status = verdict.redirect ? loginStatus(req.method ?? 'GET', req.headers.accept, header(req, 'x-requested-with')) : 401;
    if (status === 401 || !verdict.redirect) {
      sendPage(res, 401, { ...close, ...challengeOf(verdict) });
      return;
    }
    res.writeHead(status, { location: verdict.redirect.href, 'content-length': 0, 'cache-control': 'no-store', ...close }).end();
  }

  #log(req: IncomingMessage, verdict: Exclude<Verdict, { kind: 'allow' }>): void {
    const entry = { reason: verdict.reason, host: requestViewOf(req).host?.host, path: (req.url ?? '').split('?')[0], ip: req.socket.remoteAddress };
    if (verdict.kind === 'login') this.options.logger.debug(entry, 'proxy: authentication required');
    else this.options.logger.info(entry, verdict.kind === 'forbidden' ? 'proxy: access forbidden' : 'proxy: request refused as malformed');
  }

  #failed(error: Error & { code?: string }, req: IncomingMessage, res: ServerResponse | Socket): void {
    const timeout = error instanceof UpstreamTimeoutError;
    const clientGone = req.socket.destroyed;
    this.options.logger[clientGone ? 'debug' : 'warn'](
      { err: error.message, code: error.code, host: requestViewOf(req).host?.host, path: (req.url ?? '').split('?')[0] },
      timeout ? 'proxy: upstream timed out' : 'proxy: upstream failed',
    );
    if (clientGone) return;
    if ('writeHead' in res) sendPage(res, timeout ? 504 : 502, closeIfBodyPending(req));
    else refuseUpgrade(res, timeout ? 504 : 502);
  }
}

/**
 * `Connection: close` for an answer given before the request body was all read: the connection
 * cannot carry another request until the rest is drained, and a client that stalled it would
 * otherwise hold it until the idle timeout.
 */
function closeIfBodyPending(req: IncomingMessage): Record<string, string> {
  return req.complete ? {} : { connection: 'close' };
}

/** With metrics: the request's status and duration once its answer is sent (the upstream's, or Gatehouse's refusal). */
function timeAnswer(res: ServerResponse, observer: Observer): void {
  const started = performance.now();
  res.once('finish', () => observer.request('proxy', res.statusCode, (performance.now() - started) / 1000));
}

/** `WWW-Authenticate` for a refused bearer token (RFC 6750 §3). */
function challengeOf(verdict: Verdict): Record<string, string> {
  return verdict.kind === 'login' && verdict.challenge !== undefined ? { 'www-authenticate': verdict.challenge } : {};
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
