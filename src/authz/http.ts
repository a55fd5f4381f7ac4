/**
 * The forward-auth endpoints on the raw `node:http` listener (the fast path): the listener hands
 * over a request whose path and method are one of them (`match`, the table of
 * `server.endpoints.authz` built once: authz/endpoint-table.ts), with the view it already read
 * (shared/http/request-view.ts); no framework lifecycle, hooks, body parsing or header copies.
 *
 * Enforces, for every flavour (the flavours' own rules are in their files):
 * - the query is read once (`authelia_url`, `portal_url`, `rd`, `auth`): a repeated parameter or
 *   an over-long value → 400 KO before anything else;
 * - forwarded headers are read only from a peer in `server.trusted_proxies` (else 400), each at
 *   most once (a repeated one → 400 naming it in the log);
 * - one Authorizer decides (the proxy's too); authz/respond.ts renders its verdict;
 * - an error while deciding is answered by shared/http/error-answer.ts (a lost store → 503 KO,
 *   never cached; anything else → 500 KO, detail only in the log), never a dropped connection;
 * - while the server drains, answers carry `Connection: close`, and a request arriving after
 *   the drain began gets fastify's own 503 (as every other route does);
 * - the log is fastify's: the request's `reqId` (one counter for both paths), and at `debug`
 *   one `request` line per answer (method, path, status, ms, ip).
 *
 * The request body, if any, is not read: Node discards it after the answer, as for a GET.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorAnswer } from '../shared/http/error-answer.js';
import { koBody } from '../shared/http/ko.js';
import type { RequestView } from '../shared/http/request-view.js';
import { type Observer, silentObserver } from '../shared/observe.js';
import type { AuthzEndpointConfig } from '../config/server-endpoints.js';
import { type AuthzDeps, type AuthzInput, cookiesOf, readParams, splitTarget } from './endpoint.js';
import { type AuthzEndpoint, AuthzEndpointTable, defaultEndpointTable } from './endpoint-table.js';
import type { AuthzQuery, Verdict } from './evaluate.js';
import { ForwardedHeaderError, ForwardedHeaders } from './headers.js';
import { refuse, respond, type VerdictReply } from './respond.js';

export type { AuthzEndpoint } from './endpoint-table.js';

/** The endpoint of Authelia's four defaults a request is for, or undefined (see {@link AuthzEndpoints.match}). */
export function authzEndpointOf(method: string | undefined, target: string | undefined): AuthzEndpoint | undefined {
  return defaultEndpointTable.match(method, target);
}

/** What the fast path needs from server/. */
export interface AuthzHttpOptions extends AuthzDeps {
  readonly logger: Logger;
  /** The request id generator shared with the framework (`genReqId`), so ids never repeat across paths. */
  readonly requestId: () => string;
  /** Counts decisions and requests (default: nobody). */
  readonly observer?: Observer | undefined;
  /** `server.endpoints.authz` (default: Authelia's four endpoints). */
  readonly endpoints?: readonly AuthzEndpointConfig[] | undefined;
}

/** fastify's answer to a request that arrives while the server closes (`return503OnClosing`). */
const closingBody = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

/** The forward-auth endpoints, answered on the raw listener (server/listener.ts). */
export class AuthzEndpoints {
  readonly authorizer: AuthzDeps['authorizer'];
  readonly #observer: Observer;
  readonly #table: AuthzEndpointTable;
  #draining = false;

  constructor(private readonly options: AuthzHttpOptions) {
    this.authorizer = options.authorizer;
    this.#observer = options.observer ?? silentObserver;
    this.#table = options.endpoints === undefined ? defaultEndpointTable : new AuthzEndpointTable(options.endpoints);
  }

  /**
   * The endpoint a request is for, or undefined (then the framework answers, 404 included): see
   * authz/endpoint-table.ts for the methods and paths each implementation answers.
   */
  match(method: string | undefined, target: string | undefined): AuthzEndpoint | undefined {
    return this.#table.match(method, target);
  }

  /** From now on answers close their connection; requests arriving from now on get 503. */
  drain(): void {
    this.#draining = true;
  }

  /** Whether the server is draining (see {@link drain}). */
  get draining(): boolean {
    return this.#draining;
  }

  /** Answers `req` for `endpoint`; never throws, never leaves the request unanswered. */
  handle(req: IncomingMessage, res: ServerResponse, view: RequestView, endpoint: AuthzEndpoint): void {
    const exchange = new Exchange(req, res, view.ip, this.options, this, this.#observer);
    if (this.#draining) {
      exchange.closing();
      return;
    }
    const target = req.url ?? '/';
    const params = readParams(splitTarget(target).query);
    if (typeof params === 'string') {
      exchange.log.info({ reason: params }, 'bad request');
      exchange.ko(400, params, false);
      return;
    }
    const { flavour } = endpoint;
    if (!view.trusted) {
      refuse(exchange, flavour, `the peer ${view.peer} is not in server.trusted_proxies, so its forwarded headers are not believed`);
      return;
    }
    let query: AuthzQuery;
    let proxyChallenge: boolean;
    let verdict: Verdict | Promise<Verdict>;
    try {
      const input: AuthzInput = { method: req.method ?? 'GET', target, params, headers: new ForwardedHeaders(req), view, cookie: cookiesOf(req) };
      const credentials = endpoint.credentials(input);
      proxyChallenge = credentials.proxyChallenge;
      query = endpoint.read(input, credentials);
      verdict = this.authorizer.check(query);
    } catch (error) {
      if (error instanceof ForwardedHeaderError) refuse(exchange, flavour, error.message);
      else exchange.fail(error);
      return;
    }
    const method = query.method;
    // A cached session answers at once: no promise on the common path.
    if (!(verdict instanceof Promise)) respond(exchange, flavour, verdict, method, proxyChallenge);
    else
      verdict.then(
        (decided) => respond(exchange, flavour, decided, method, proxyChallenge),
        (error: unknown) => exchange.fail(error),
      );
  }
}

/** One request and its answer. */
class Exchange implements VerdictReply {
  #log: Logger | undefined;
  readonly #started: number;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly ip: string,
    private readonly options: AuthzHttpOptions,
    private readonly server: { readonly draining: boolean },
    readonly observer: Observer,
  ) {
    this.#started = observer.timed || options.logger.isLevelEnabled('debug') ? performance.now() : -1;
  }

  get log(): Logger {
    this.#log ??= this.options.logger.child({ reqId: this.options.requestId() });
    return this.#log;
  }

  header(name: 'accept' | 'x-requested-with'): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  }

  send(status: number, headers: string[], type?: string, body?: string): void {
    if (type !== undefined) headers.push('content-type', type);
    if (body !== undefined) headers.push('content-length', String(Buffer.byteLength(body)));
    else if (this.req.method !== 'HEAD') headers.push('content-length', '0');
    if (this.server.draining) headers.push('connection', 'close');
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, headers);
    res.end(body);
    if (this.#started < 0) {
      this.observer.request('forward-auth', status, 0);
      return;
    }
    const elapsed = performance.now() - this.#started;
    this.observer.request('forward-auth', status, elapsed / 1000);
    if (this.options.logger.isLevelEnabled('debug')) {
      const ms = Math.round(elapsed * 10) / 10;
      this.log.debug({ method: this.req.method, path: splitTarget(this.req.url ?? '/').path, status, ms, ip: this.ip }, 'request');
    }
  }

  /** `{"status":"KO","message":…}` with `status`. */
  ko(status: number, message: string, noStore: boolean): void {
    this.send(status, noStore ? ['cache-control', 'no-store'] : [], 'application/json; charset=utf-8', JSON.stringify(koBody(message)));
  }

  /** An error while reading or deciding, answered and logged by the one mapping. */
  fail(error: unknown): void {
    const answer = errorAnswer(error);
    this.log[answer.log.level](answer.log.fields, answer.log.msg);
    this.ko(answer.status, answer.message, answer.unavailable);
  }

  /** The framework's 503 to a request that arrives while the server closes. */
  closing(): void {
    this.send(503, [], 'application/json', closingBody);
  }
}
