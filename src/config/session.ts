import { isIP } from 'node:net';
import { parse as parseDomain } from 'tldts';
import { allowsPlainHttp, isWithinDomain } from '../shared/authority.js';
import { defaults } from './defaults.js';
import { indexPath, keyPath } from './problems.js';
import { type ReadContext, readInteger, readChoice, readDuration, readList, readMapping, readSecret, readString } from './reader.js';
import { type SessionRedisConfig, readSessionRedis } from './session-redis.js';

export type SameSite = 'lax' | 'strict' | 'none';

/** One cookie domain: a login under it covers every subdomain. */
export interface SessionCookieConfig {
  /** Lower-case, no leading dot. */
  readonly domain: string;
  readonly name: string;
  readonly sameSite: SameSite;
  /** Milliseconds from login until the session ends. */
  readonly expiration: number;
  /** Milliseconds of inactivity that end a session (not applied to remember-me sessions). */
  readonly inactivity: number;
  /** Milliseconds a remember-me session lasts; -1 when remember-me is disabled. */
  readonly rememberMe: number;
  readonly portalUrl: URL;
  readonly defaultRedirectionUrl: URL | undefined;
  /** Whether the cookie carries `Secure`; false only for plain-http portals under `.localhost`. */
  readonly secure: boolean;
}

export interface SessionConfig {
  /** Encrypts the sessions kept in Redis; required with `redis`. */
  readonly secret: string | undefined;
  readonly cookies: readonly SessionCookieConfig[];
  /** Where sessions live when instances share them; absent: the storage (SQLite). */
  readonly redis: SessionRedisConfig | undefined;
  /** Most sessions the gateway keeps in memory for forward-auth (session/cached-store.ts); 0: none. */
  readonly cacheSize: number;
}

const cookieKeys = ['domain', 'portal_url', 'default_redirection_url', 'name', 'same_site', 'expiration', 'inactivity', 'remember_me'] as const;
const sameSites = ['lax', 'strict', 'none'] as const;

/** Reads `session`, applying Authelia's cookie-domain rules. */
export function readSession(ctx: ReadContext, value: unknown): SessionConfig {
  const path = 'session';
  const raw =
    readMapping(ctx, path, value, ['secret', 'name', 'same_site', 'expiration', 'inactivity', 'remember_me', 'cookies', 'redis', 'domain', 'cache_size']) ?? {};
  if (raw.domain !== undefined) {
    ctx.problems.error(keyPath(path, 'domain'), "is Authelia's legacy form; use session.cookies: [{domain: …, portal_url: …}] instead");
  }
  const inherited = {
    name: readString(ctx, keyPath(path, 'name'), raw.name) ?? defaults.session.name,
    sameSite: readChoice(ctx, keyPath(path, 'same_site'), raw.same_site, sameSites, defaults.session.sameSite),
    expiration: readDuration(ctx, keyPath(path, 'expiration'), raw.expiration, defaults.session.expiration, { min: 1000 }),
    inactivity: readDuration(ctx, keyPath(path, 'inactivity'), raw.inactivity, defaults.session.inactivity, { min: 1000 }),
    rememberMe: readDuration(ctx, keyPath(path, 'remember_me'), raw.remember_me, defaults.session.rememberMe, {
      disableWith: -1,
      min: 1000,
    }),
  };
  const cookiesAt = keyPath(path, 'cookies');
  if (raw.cookies === undefined || (Array.isArray(raw.cookies) && raw.cookies.length === 0)) {
    ctx.problems.error(cookiesAt, 'must list at least one cookie domain but is absent');
  }
  const indexed: { index: number; domain: string }[] = [];
  const cookies = readList(ctx, cookiesAt, raw.cookies, (entry, at, index) => {
    const cookie = readCookie(ctx, at, entry, inherited);
    if (cookie) indexed.push({ index, domain: cookie.domain });
    return cookie;
  });
  checkOverlaps(ctx, cookiesAt, indexed);
  const redis = readSessionRedis(ctx, keyPath(path, 'redis'), raw.redis);
  return {
    secret: readSessionSecret(ctx, keyPath(path, 'secret'), raw.secret, raw.redis !== undefined && raw.redis !== null),
    cookies,
    redis,
    cacheSize: readInteger(ctx, keyPath(path, 'cache_size'), raw.cache_size, defaults.session.cacheSize, { min: 0, max: 10_000_000 }),
  };
}

/** `session.secret`: required, and at least 20 characters, when it encrypts sessions in Redis. */
function readSessionSecret(ctx: ReadContext, path: string, value: unknown, redis: boolean): string | undefined {
  const secret = readSecret(ctx, path, value);
  if (!redis) return secret;
  const min = defaults.session.secretMinLength;
  if (secret === undefined) ctx.problems.error(path, 'must be set when session.redis is configured (it encrypts the sessions kept there) but is absent');
  else if (secret.length < min)
    ctx.problems.error(path, `must be at least ${min} characters when session.redis is configured but is ${secret.length} characters`);
  return secret;
}

type Inherited = Pick<SessionCookieConfig, 'name' | 'sameSite' | 'expiration' | 'inactivity' | 'rememberMe'>;

function readCookie(ctx: ReadContext, path: string, value: unknown, inherited: Inherited): SessionCookieConfig | undefined {
  const raw = readMapping(ctx, path, value, cookieKeys, { authelia_url: 'portal_url' });
  if (!raw) return undefined;
  const domain = readCookieDomain(ctx, keyPath(path, 'domain'), raw.domain);
  const portalUrl = readUrlInDomain(ctx, keyPath(path, 'portal_url'), raw.portal_url, domain, true);
  const defaultRedirectionUrl = readUrlInDomain(ctx, keyPath(path, 'default_redirection_url'), raw.default_redirection_url, domain, false);
  if (portalUrl && defaultRedirectionUrl && portalUrl.href === defaultRedirectionUrl.href) {
    ctx.problems.error(keyPath(path, 'default_redirection_url'), `must differ from portal_url but both are '${portalUrl.href}'`);
  }
  const sameSite = readChoice(ctx, keyPath(path, 'same_site'), raw.same_site, sameSites, inherited.sameSite);
  const secure = portalUrl?.protocol !== 'http:';
  if (sameSite === 'none' && !secure) {
    ctx.problems.error(keyPath(path, 'same_site'), "must not be 'none' when portal_url uses plain http (browsers require Secure)");
  }
  if (domain === undefined || portalUrl === undefined) return undefined;
  return {
    domain,
    name: readString(ctx, keyPath(path, 'name'), raw.name) ?? inherited.name,
    sameSite,
    expiration: readDuration(ctx, keyPath(path, 'expiration'), raw.expiration, inherited.expiration, { min: 1000 }),
    inactivity: readDuration(ctx, keyPath(path, 'inactivity'), raw.inactivity, inherited.inactivity, { min: 1000 }),
    rememberMe: readDuration(ctx, keyPath(path, 'remember_me'), raw.remember_me, inherited.rememberMe, {
      disableWith: -1,
      min: 1000,
    }),
    portalUrl,
    defaultRedirectionUrl,
    secure,
  };
}

/** A cookie domain: a DNS name with a dot, no `*.` prefix, not a public suffix, not an IP address. */
function readCookieDomain(ctx: ReadContext, path: string, value: unknown): string | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  const domain = text.toLowerCase().replace(/^\./, '');
  if (domain.startsWith('*.')) {
    ctx.problems.error(path, `must not start with '*.' but is '${text}'`);
    return undefined;
  }
  if (isIP(domain) !== 0) {
    ctx.problems.error(path, `must be a domain name, not an IP address, but is '${text}'`);
    return undefined;
  }
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
    ctx.problems.error(path, `must be a domain name containing a dot, such as 'example.com', but is '${text}'`);
    return undefined;
  }
  const parsed = parseDomain(domain, { allowPrivateDomains: true });
  if (parsed.publicSuffix === domain) {
    ctx.problems.error(path, `must not be a public suffix (cookies for it are refused by browsers) but is '${text}'`);
    return undefined;
  }
  return domain;
}

function readUrlInDomain(ctx: ReadContext, path: string, value: unknown, domain: string | undefined, required: boolean): URL | undefined {
  const text = readString(ctx, path, value, { required });
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.problems.error(path, `must be an absolute URL such as 'https://auth.example.com' but is '${text}'`);
    return undefined;
  }
  const httpOk = domain !== undefined && allowsPlainHttp(domain);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpOk)) {
    const allowed = httpOk ? "'https' or 'http'" : "'https' (plain http only for cookie domains under '.localhost')";
    ctx.problems.error(path, `must use the scheme ${allowed} but is '${text}'`);
    return undefined;
  }
  if (url.username || url.password) {
    ctx.problems.error(path, `must not contain a user name or password but is '${text}'`);
    return undefined;
  }
  if (domain !== undefined && !isWithinDomain(url.hostname, domain)) {
    ctx.problems.error(path, `must be on the cookie domain '${domain}' or below it but is '${text}'`);
    return undefined;
  }
  return url;
}

function checkOverlaps(ctx: ReadContext, path: string, cookies: readonly { index: number; domain: string }[]): void {
  cookies.forEach((cookie, i) => {
    const at = keyPath(indexPath(path, cookie.index), 'domain');
    for (const earlier of cookies.slice(0, i)) {
      if (cookie.domain === earlier.domain) {
        ctx.problems.error(at, `must not repeat '${earlier.domain}' but is '${cookie.domain}'`);
      } else if (isWithinDomain(cookie.domain, earlier.domain) || isWithinDomain(earlier.domain, cookie.domain)) {
        ctx.problems.error(at, `must not overlap the cookie domain '${earlier.domain}' but is '${cookie.domain}'`);
      }
    }
  });
}
