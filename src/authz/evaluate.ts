import type { Identity } from '../auth/users/user.js';
import type { SessionCookieConfig } from '../config/session.js';
import type { RuleSet } from '../rules/compile.js';
import { outcome } from '../rules/outcome.js';
import { AuthLevel, type Policy } from '../rules/policy.js';
import { anonymousSubject, isAnonymous, type Subject } from '../rules/subject.js';
import { isRefusal, type Target, targetOf } from '../rules/target.js';
import { allowsPlainHttp } from '../shared/authority.js';
import type { RequestUrl } from '../shared/request-url.js';
import type { SessionManager } from '../session/manager.js';
import { safeRedirect } from '../session/safe-redirect.js';
import type { Session } from '../session/session.js';
import { basicChallenge, type BasicCheck, type BasicCredentials } from './basic-strategy.js';
import { type BearerCheck, bearerChallenge, parseBearer } from './bearer-strategy.js';

/** One forward-auth question, already read from whatever headers the proxy flavour uses. */
export interface AuthzQuery {
  /** What the client asked for, its host parsed once (shared/request-url.ts). */
  readonly url: RequestUrl;
  /** Upper-case method of the client's request. */
  readonly method: string;
  /** The client address, after walking back over trusted proxies. */
  readonly ip: string;
  /** The value of a cookie of the client's request, by name. */
  readonly cookie: (name: string) => string | undefined;
  /** HTTP Basic credentials: absent, readable, or present but malformed. */
  readonly basic?: BasicCredentials | 'malformed' | undefined;
  /** The client's `Authorization` header, read for a `Bearer` token (another scheme is ignored). */
  readonly authorization?: string | undefined;
  /** A portal URL asked for by the proxy (Authelia's `authelia_url`), instead of the cookie domain's. */
  readonly portalUrl?: string | undefined;
  /** Whether to fall back to the cookie domain's `portal_url` (false for the legacy endpoint). */
  readonly portalFromCookie?: boolean;
}

/**
 * The answer. `reason` is for the log, never for the client; `policy` is the policy of the rule
 * that decided (the metrics count decisions by it), absent when no rule was reached.
 */
export type Verdict =
  | { readonly kind: 'allow'; readonly identity: Identity | undefined; readonly target: Target; readonly policy?: Policy }
  | { readonly kind: 'forbidden'; readonly reason: string; readonly username: string; readonly policy?: Policy }
  | {
      readonly kind: 'login';
      readonly policy?: Policy;
      readonly reason: string;
      readonly redirect: URL | undefined;
      /** A `WWW-Authenticate` value: credentials in a header failed (answered 401, never a redirect). */
      readonly challenge: string | undefined;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

/** What evaluation needs: built once in server/ and shared with the proxy. */
export interface AuthorizerDeps {
  readonly rules: RuleSet;
  readonly sessions: SessionManager;
  readonly basic: BasicCheck;
  /** Bearer access tokens of the OpenID Connect provider; absent: a `Bearer` header is ignored. */
  readonly bearer?: BearerCheck | undefined;
}

/** Who a request is, as far as its credentials tell. */
interface Identified {
  readonly subject: Subject;
  readonly level: AuthLevel;
  readonly identity: Identity | undefined;
  /** The session the identity came from, to touch once decided. */
  readonly session?: Session | undefined;
  /** Set when the identity came from a header: "log in" is then this 401 challenge, never a redirect. */
  readonly challenge?: string | undefined;
}

/**
 * Decides a forward-auth question (Authelia §2 semantics), free of HTTP:
 * 1. the target must parse (`invalid`), be https (http only under `.localhost`) and be under a
 *    session cookie domain (`invalid`); an unsafe path is `forbidden` (rules/target.ts);
 * 2. a portal URL override must be a safe URL under that cookie domain (`invalid`);
 * 3. identity, from one source: Basic credentials when given (one factor, regulated; a failure
 *    is a `login` challenge unless the anonymous rule is `bypass` or names subjects); else a
 *    `Bearer` access token (bearer-strategy.ts; ignored on a site that is `bypass` for everyone;
 *    refused with a 401 challenge when a session cookie was sent too, or when the token is not
 *    accepted); else the session cookie;
 * 4. the first matching rule and the level reached give `allow`, `login` or `forbidden`
 *    (`isAuthzResult`); `login` carries the portal URL with `rd` and `rm`, or the challenge.
 */
export class Authorizer {
  constructor(private readonly deps: AuthorizerDeps) {}

  /** {@link check}, always as a promise. */
  async evaluate(query: AuthzQuery): Promise<Verdict> {
    return this.check(query);
  }

  /**
   * Decides `query`: at once (no promise, no store call) when the answer needs nothing to wait
   * for — the session is in the in-process cache and no write is due (SessionManager.loadCached),
   * or no session is needed at all —, else as a promise. The same steps either way.
   */
  check(query: AuthzQuery): Verdict | Promise<Verdict> {
    const target = targetOf(query.url, query.method);
    if (isRefusal(target)) return { kind: 'forbidden', reason: target.refused, username: '' };
    const cookie = this.deps.sessions.cookieFor(target.domain);
    if (!cookie) return invalid(`the target host '${target.domain}' is under no session cookie domain`);
    if (!schemeAllowed(target.scheme, cookie.domain)) return invalid(`the target scheme '${target.scheme}' is not https`);
    const portal = portalFor(query, cookie);
    if (typeof portal === 'string') return invalid(portal);
    const asked: Asked = { query, target, cookie, portal };
    const bearer = this.deps.bearer && parseBearer(query.authorization);
    if (query.basic === undefined && bearer === undefined) {
      const cached = this.deps.sessions.loadCached(cookie, query.cookie(cookie.name));
      if (cached !== null) return this.#conclude(asked, fromSession(query, cached));
    }
    return this.#identify(asked).then((who) => ('kind' in who ? who : this.#conclude(asked, who)));
  }

  /** The verdict for who asked; a promise only when the session's activity must be written first. */
  #conclude({ query, target, cookie, portal }: Asked, who: Identified): Verdict | Promise<Verdict> {
    const { subject, level, identity, session } = who;
    const decision = this.deps.rules.decide(subject, target);
    const result = outcome(decision, level, isAnonymous(subject));
    const rule = decision.ruleIndex < 0 ? 'default_policy' : `rule #${decision.ruleIndex + 1}`;
    const actor = subject.username || (subject.clientId && `oauth2:client:${subject.clientId}`);
    let verdict: Verdict;
    switch (result) {
      case 'allow':
        verdict = { kind: 'allow', target, identity, policy: decision.policy };
        break;
      case 'forbidden':
        verdict = { kind: 'forbidden', reason: `${rule} (${decision.policy}) denies it`, username: actor, policy: decision.policy };
        break;
      case 'login': {
        const reason = `${rule} (${decision.policy}) needs a higher level than ${level}`;
        const { policy } = decision;
        verdict =
          who.challenge !== undefined
            ? { kind: 'login', reason, redirect: undefined, challenge: who.challenge, policy }
            : { kind: 'login', reason, challenge: undefined, redirect: portal && loginUrl(portal, query.url.href, query.method), policy };
      }
    }
    // Most checks touch nothing (activity is saved at most every inactivity/10): no await then.
    const touched = session && subject.username !== '' ? this.deps.sessions.touch(cookie, session) : undefined;
    return touched ? touched.then(() => verdict) : verdict;
  }

  /** The request's subject from its one source of credentials, or the verdict when they fail. */
  async #identify({ query, target, cookie }: Asked): Promise<Identified | Verdict> {
    const anonymous: Identified = { subject: anonymousSubject(query.ip), level: AuthLevel.none, identity: undefined };
    if (query.basic !== undefined) {
      const checked =
        query.basic === 'malformed' ? { ok: false as const, reason: 'the Authorization header is malformed' } : await this.deps.basic(query.basic, query);
      if (checked.ok) {
        const { user } = checked;
        return {
          subject: { username: user.username, groups: user.groups, ip: query.ip, clientId: '' },
          level: AuthLevel.oneFactor,
          identity: user,
          challenge: basicChallenge,
        };
      }
      const decision = this.deps.rules.decide(anonymous.subject, target);
      if (decision.policy !== 'bypass' && !decision.ruleHasSubject) return challenge(checked.reason, basicChallenge);
      return { ...anonymous, challenge: basicChallenge };
    }
    const bearer = this.deps.bearer;
    const token = bearer && parseBearer(query.authorization);
    if (bearer && token !== undefined && this.deps.rules.decide(anonymous.subject, target).policy !== 'bypass') {
      if (query.cookie(cookie.name) !== undefined) return challenge('both a session cookie and a bearer token were sent', bearerChallenge('invalid_request'));
      if (token === 'malformed') return challenge('the Authorization header is not a valid Bearer token', bearerChallenge('invalid_token'));
      const checked = await bearer(token, { target, authority: query.url.authority });
      if (!checked.ok) return challenge(checked.reason, bearerChallenge('invalid_token'));
      const { principal } = checked;
      return { ...principal, subject: { ...principal.subject, ip: query.ip }, challenge: bearerChallenge('insufficient_user_authentication') };
    }
    return fromSession(query, await this.deps.sessions.load(cookie, query.cookie(cookie.name)));
  }
}

/** What {@link Authorizer.check} has read of a query before identifying anyone. */
interface Asked {
  readonly query: AuthzQuery;
  readonly target: Target;
  readonly cookie: SessionCookieConfig;
  readonly portal: URL | undefined;
}

/** Who a session says the requester is (anonymous without one, or before the first factor). */
function fromSession(query: AuthzQuery, session: Session | undefined): Identified {
  const state = session?.state;
  if (!state || state.username === '') return { subject: anonymousSubject(query.ip), level: AuthLevel.none, identity: undefined, session };
  return { subject: { username: state.username, groups: state.groups, ip: query.ip, clientId: '' }, level: state.level, identity: state, session };
}

function challenge(reason: string, header: string): Verdict {
  return { kind: 'login', reason, redirect: undefined, challenge: header };
}

function invalid(reason: string): Verdict {
  return { kind: 'invalid', reason };
}

function schemeAllowed(scheme: string, cookieDomain: string): boolean {
  return scheme === 'https' || scheme === 'wss' || ((scheme === 'http' || scheme === 'ws') && allowsPlainHttp(cookieDomain));
}

/** The portal to send the user to; a string is why the override was refused. */
function portalFor(query: AuthzQuery, cookie: SessionCookieConfig): URL | undefined | string {
  if (query.portalUrl === undefined || query.portalUrl === '') return query.portalFromCookie === false ? undefined : cookie.portalUrl;
  return (
    safeRedirect(query.portalUrl, [cookie]) ??
    `the portal URL override '${query.portalUrl.slice(0, 200)}' is not an https URL under the cookie domain '${cookie.domain}'`
  );
}

/**
 * How "go log in" is answered to a browser-facing request (Authelia's `handleUnauthorized`):
 * 401 for `X-Requested-With: XMLHttpRequest` or an `Accept` without `text/html` (or a leading
 * `*\/*`; no `Accept` at all counts as non-HTML), else 302 for GET/HEAD/OPTIONS and 303 otherwise.
 */
export function loginStatus(method: string, accept: string | undefined, requestedWith: string | undefined): 302 | 303 | 401 {
  if ((requestedWith ?? '').toLowerCase() === 'xmlhttprequest') return 401;
  const html = (accept ?? '').split(',').some((entry, i) => {
    const type = (entry.split(';')[0] ?? '').trim().toLowerCase();
    return type === 'text/html' || (i === 0 && type === '*/*');
  });
  if (!html) return 401;
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 302 : 303;
}

/** `PORTAL/?rd=<target>&rm=<method>` (path `/` when the portal URL has none). */
export function loginUrl(portal: URL, target: string, method: string): URL {
  const url = new URL(portal.href);
  url.searchParams.set('rd', target);
  url.searchParams.set('rm', method);
  return url;
}
