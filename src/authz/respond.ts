import type { Logger } from 'pino';
import type { Observer } from '../shared/observe.js';
import { loginStatus, type Verdict } from './evaluate.js';
import { identityHeaders } from './identity-headers.js';

/** The four forward-auth flavours; they differ in how "go log in" and bad requests are answered. */
export type Flavour = 'forward-auth' | 'auth-request' | 'ext-authz' | 'legacy';

/** Where a verdict is written: one forward-auth exchange (authz/http.ts). */
export interface VerdictReply {
  /** The request's logger (its request id bound on first use). */
  readonly log: Logger;
  /** The client address, for the log. */
  readonly ip: string;
  /** Counts the decision (the metrics). */
  readonly observer: Pick<Observer, 'authz'>;
  /** A request header, repeated values joined with `, ` (Node's reading). */
  header(name: 'accept' | 'x-requested-with'): string | undefined;
  /** Sends `status` with `headers` (flat name, value pairs, lower-case names) and a body of `type`. */
  send(status: number, headers: string[], type?: string, body?: string): void;
}

const plain = 'text/plain; charset=utf-8';

/**
 * Answers a verdict (authelia.md §2 "Responses"):
 * - allow → 200 with `Remote-User/-Groups/-Name/-Email` when a user is known;
 * - forbidden → 403 `403 Forbidden`;
 * - invalid → 400 `400 Bad Request` (legacy: 401), reason in the log only;
 * - login through a header (Basic, Bearer) → 401 with the verdict's `WWW-Authenticate` challenge,
 *   or 407 with it as `Proxy-Authenticate` when `HeaderProxyAuthorization` read the credentials;
 * - login, auth-request → 401 **with** `Location` (nginx turns it into a 302);
 * - login, others → 401 for XHR or a non-HTML `Accept`, else 302 (GET/HEAD/OPTIONS) or 303 to the portal;
 *   legacy without a portal URL → plain 401.
 */
export function respond(reply: VerdictReply, flavour: Flavour, verdict: Verdict, method: string, proxyChallenge = false): void {
  reply.observer.authz(flavour, verdict.kind, verdict.kind === 'invalid' ? undefined : verdict.policy);
  const [status, headers, type, body] = answerOf(reply, flavour, verdict, method, proxyChallenge);
  reply.send(status, headers, type, body);
}

/** A status, headers (flat name, value pairs), and a body with its type. */
type Answer = readonly [status: number, headers: string[], type?: string, body?: string];

function answerOf(reply: VerdictReply, flavour: Flavour, verdict: Verdict, method: string, proxyChallenge: boolean): Answer {
  switch (verdict.kind) {
    case 'allow': {
      if (!verdict.identity) return [200, []];
      const identity = identityHeaders(verdict.identity);
      return [
        200,
        [
          'remote-user',
          identity['remote-user'],
          'remote-groups',
          identity['remote-groups'],
          'remote-name',
          identity['remote-name'],
          'remote-email',
          identity['remote-email'],
        ],
      ];
    }
    case 'forbidden':
      reply.log.info({ reason: verdict.reason, user: verdict.username || undefined, ip: reply.ip }, 'access forbidden');
      return [403, [], plain, '403 Forbidden'];
    case 'invalid':
      reply.log.warn({ reason: verdict.reason, ip: reply.ip }, `${flavour} request refused as malformed`);
      return flavour === 'legacy' ? [401, [], plain, '401 Unauthorized'] : [400, [], plain, '400 Bad Request'];
    case 'login': {
      reply.log.debug({ reason: verdict.reason, ip: reply.ip }, 'authentication required');
      if (verdict.challenge !== undefined) {
        if (proxyChallenge) return [407, ['proxy-authenticate', verdict.challenge], plain, '407 Proxy Authentication Required'];
        return [401, ['www-authenticate', verdict.challenge], plain, '401 Unauthorized'];
      }
      const location = verdict.redirect?.href;
      if (location === undefined) return [401, [], plain, '401 Unauthorized'];
      if (flavour === 'auth-request') return [401, ['location', location], plain, '401 Unauthorized'];
      const status = loginStatus(method, reply.header('accept'), reply.header('x-requested-with'));
      if (status === 401) return [401, [], plain, '401 Unauthorized'];
      const label = status === 302 ? '302 Found' : '303 See Other';
      return [status, ['location', location], 'text/html; charset=utf-8', `<a href="${escapeHtml(location)}">${label}</a>`];
    }
  }
}

/** Answers a malformed request before evaluation: 400 (legacy: 401), the header named in the log. */
export function refuse(reply: VerdictReply, flavour: Flavour, reason: string): void {
  respond(reply, flavour, { kind: 'invalid', reason }, 'GET');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
