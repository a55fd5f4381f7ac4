/**
 * The gateway's own request listener (server/listener.ts) built in-process around the real
 * forward-auth endpoints, reverse proxy and Authorizer, with a rule set that can be swapped per
 * fuzz case and that records what it decided, and a session store that knows no session. Requests are IncomingMessages as Node's parser
 * makes them (requests.ts) and answers go to a recording response, so a case costs microseconds
 * while going through exactly the functions a real request goes through after the HTTP parser.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import type { Config } from '../../src/config/config.js';
import { Authorizer, type AuthzQuery, type Verdict } from '../../src/authz/evaluate.js';
import { AuthzEndpoints } from '../../src/authz/http.js';
import { ReverseProxy } from '../../src/proxy/reverse-proxy.js';
import { UpstreamTable } from '../../src/proxy/upstream-table.js';
import type { Decision, RuleSet, Subject, Target } from '../../src/rules/index.js';
import { serverFactory } from '../../src/server/listener.js';
import { trustFunction } from '../../src/server/trust.js';
import { SessionManager } from '../../src/session/manager.js';
import type { SessionStore } from '../../src/session/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { incoming } from './requests.js';

/** What one request got: the rule engine's decision (undefined when it never decided) and the status. */
export interface Probed {
  readonly decision: Decision | undefined;
  /** The target the rules judged. */
  readonly target: Target | undefined;
  readonly status: number;
  /** Whether fastify's handler (portal, 404) got the request instead of the endpoints or the proxy. */
  readonly toFramework: boolean;
}

/** A response that records its status and resolves when ended. */
class RecordingResponse {
  statusCode = 0;
  headersSent = false;
  destroyed = false;
  readonly done: Promise<void>;
  #end!: () => void;

  constructor(readonly req: IncomingMessage) {
    this.done = new Promise((resolve) => {
      this.#end = resolve;
    });
  }

  writeHead(status: number): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }

  setHeader(): this {
    return this;
  }

  end(): this {
    this.#end();
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.#end();
    return this;
  }
}

/** A store that holds no session: every cookie names an unknown one (no session is ever saved here). */
const noStore: SessionStore = {
  get: async () => undefined,
  set: async () => {
    throw new Error('the fuzz probe saves no session');
  },
  delete: async () => undefined,
  deleteUser: async () => [],
  purgeExpired: async () => [],
  listUser: async () => [],
};

/**
 * The listener of a gateway with `config`'s cookies, trusted proxies and upstreams, whose rules
 * are whatever {@link ListenerProbe.rules} holds when a request arrives. An allowed proxied
 * request is recorded, never sent upstream.
 */
export class ListenerProbe {
  /** The rules the next requests are decided by. */
  rules: RuleSet | undefined;
  #decision: Decision | undefined;
  #target: Target | undefined;
  #toFramework = false;
  readonly #dispatch: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(config: Config) {
    const recording: RuleSet = {
      get defaultPolicy() {
        return current().defaultPolicy;
      },
      get rules() {
        return current().rules;
      },
      decide: (subject: Subject, target: Target) => {
        const decision = current().decide(subject, target);
        this.#decision = decision;
        this.#target = target;
        return decision;
      },
      explain: (subject: Subject, target: Target) => current().explain(subject, target),
    };
    const current = (): RuleSet => {
      if (this.rules === undefined) throw new Error('ListenerProbe: set rules first');
      return this.rules;
    };
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const sessions = new SessionManager({ store: noStore, cookies: config.session.cookies, clock, random: systemRandom });
    const deps = { rules: recording, sessions, basic: async () => ({ ok: false as const, reason: 'no Basic in the fuzz probe' }) };
    const authorizer = new Authorizer(deps);
    const logger = pino({ level: 'silent' });
    const authz = new AuthzEndpoints({ authorizer, logger, requestId: () => 'fuzz' });
    const table = new UpstreamTable(config.proxy.upstreams);
    const proxyAuthorizer = new (class extends Authorizer {
      // Decided as the proxy asks, then refused, so that nothing is proxied anywhere.
      override async evaluate(query: AuthzQuery): Promise<Verdict> {
        await this.check(query);
        return { kind: 'forbidden', reason: 'recorded by the fuzz probe', username: '' };
      }
    })(deps);
    const proxy = new ReverseProxy({ table, authorizer: proxyAuthorizer, logger, sessionCookies: config.session.cookies.map((c) => c.name) });
    const factory = serverFactory({
      trust: trustFunction(config.server.trustedProxies),
      timeouts: config.server.timeouts,
      maxConnections: 16,
      logger,
      tls: undefined,
      proxy: table.size > 0 ? { server: proxy, websocket: false } : undefined,
      authz,
    });
    const server = factory(() => {
      this.#toFramework = true;
    });
    const listener = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
    this.#dispatch = listener;
  }

  /**
   * Sends one request through the listener, as if over TLS (the listener's scheme is https);
   * `headers` and `url` are read as bytes on the wire (UTF-8 shown as Latin-1, as Node does).
   */
  async send(options: { method?: string; url: string; headers: readonly (readonly [string, string])[]; remoteAddress: string }): Promise<Probed> {
    this.#decision = undefined;
    this.#target = undefined;
    this.#toFramework = false;
    // What Node's HTTP parser answers 400 itself: a request line with a byte outside visible
    // ASCII (a space would end it), a header value with a control character.
    const badLine = /[^\u0021-\u007e]/.test(options.url);
    const badHeader = options.headers.some(([, value]) => /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value));
    if (badLine || badHeader) return { decision: undefined, target: undefined, status: 400, toFramework: false };
    const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const req = incoming({
      method: options.method ?? 'GET',
      url: wire(options.url),
      headers: options.headers.map(([name, value]) => [name, wire(value)] as const),
      remoteAddress: options.remoteAddress,
      encrypted: true,
    });
    const res = new RecordingResponse(req);
    this.#dispatch(req, res as unknown as ServerResponse);
    if (!this.#toFramework) await res.done;
    return { decision: this.#decision, target: this.#target, status: res.statusCode, toFramework: this.#toFramework };
  }
}
