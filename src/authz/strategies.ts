/**
 * The authentication strategies of an endpoint (`server.endpoints.authz.<name>.authn_strategies`),
 * compiled once into the function that reads a request's credentials (Authelia's "authn
 * strategies", docs/forward-auth-and-proxy.md "Endpoints").
 *
 * Enforces:
 * - each strategy reads only its own header: `HeaderAuthorization` → `Authorization`;
 *   `HeaderProxyAuthorization` and `HeaderAuthRequestProxyAuthorization` → `Proxy-Authorization`;
 *   `HeaderLegacy` → `Proxy-Authorization`, or `Authorization` with `?auth=basic` (then required);
 * - header strategies are tried in their order; the first whose header is present and carries one
 *   of its `schemes` supplies the credentials (a header of another scheme is left for the
 *   application and the next strategy is tried); the session cookie is read only when
 *   `CookieSession` is listed;
 * - a failure of `HeaderProxyAuthorization` is answered 407 with `Proxy-Authenticate`, every other
 *   header strategy's 401 with `WWW-Authenticate` (authz/respond.ts).
 */
import type { AuthnStrategyConfig } from '../config/server-endpoints.js';
import { parseBasic } from './basic-strategy.js';
import type { AuthzInput, Credentials } from './endpoint.js';

/** Reads one request's credentials as an endpoint's strategies say. */
export type CredentialReader = (input: AuthzInput) => Credentials;

type HeaderRead = (input: AuthzInput) => Credentials | undefined;

const noCookie = (): undefined => undefined;

/** Compiles `strategies` (already validated by config/server-endpoints.ts) into a reader. */
export function credentialReader(strategies: readonly AuthnStrategyConfig[]): CredentialReader {
  const session = strategies.some((s) => s.name === 'CookieSession');
  const headers = strategies.flatMap((s) => headerRead(s) ?? []);
  return (input) => {
    const cookie = session ? input.cookie : noCookie;
    for (const read of headers) {
      const found = read(input);
      if (found !== undefined) return session ? found : { ...found, cookie };
    }
    return { basic: undefined, authorization: undefined, cookie, proxyChallenge: false };
  };
}

function headerRead(strategy: AuthnStrategyConfig): HeaderRead | undefined {
  switch (strategy.name) {
    case 'CookieSession':
      return undefined;
    case 'HeaderLegacy':
      return legacyRead;
    case 'HeaderAuthorization':
      return schemeRead('Authorization', strategy, false);
    case 'HeaderProxyAuthorization':
      return schemeRead('Proxy-Authorization', strategy, true);
    case 'HeaderAuthRequestProxyAuthorization':
      return schemeRead('Proxy-Authorization', strategy, false);
  }
}

/** A header strategy: `Basic` credentials or a `Bearer` token, when its scheme is one of the strategy's. */
function schemeRead(name: 'Authorization' | 'Proxy-Authorization', { schemes }: AuthnStrategyConfig, proxyChallenge: boolean): HeaderRead {
  const basic = schemes.includes('basic');
  const bearer = schemes.includes('bearer');
  return (input) => {
    const value = input.headers.optional(name);
    if (value === undefined) return undefined;
    if (basic && /^basic(?:\s|$)/i.test(value)) return { basic: parseBasic(value), authorization: undefined, cookie: input.cookie, proxyChallenge };
    if (bearer && /^bearer(?:\s|$)/i.test(value)) return { basic: undefined, authorization: value, cookie: input.cookie, proxyChallenge };
    return undefined;
  };
}

/**
 * `HeaderLegacy` (the legacy endpoint's own reading): with `?auth=basic`, `Authorization: Basic`
 * is required (absent or another scheme → a 401 challenge); otherwise `Proxy-Authorization:
 * Basic` when sent, and an `Authorization: Bearer` access token beside it.
 */
const legacyRead: HeaderRead = ({ params, headers, cookie }) => {
  if (params.auth === 'basic')
    return { basic: parseBasic(headers.optional('Authorization')) ?? 'malformed', authorization: undefined, cookie, proxyChallenge: false };
  const basic = parseBasic(headers.optional('Proxy-Authorization'));
  const authorization = headers.optional('Authorization');
  return basic === undefined && authorization === undefined ? undefined : { basic, authorization, cookie, proxyChallenge: false };
};
