/**
 * Client authentication at the token endpoint.
 * - RFC 6749 §2.3.1: `client_secret_basic` (credentials form-url-decoded, Appendix B) and
 *   `client_secret_post`; a secret client registered without a method accepts both, one
 *   registered with a method accepts only it, and the error names both methods.
 * - OIDC Core §9 / RFC 7523 §3: `client_secret_jwt` (HS256 under the plain secret) and
 *   `private_key_jwt` (the client's `jwks` or the keys at its `jwks_uri`, client-keys.ts): `iss` = `sub` = client_id, `aud` the token
 *   endpoint or the issuer, `exp` required, `jti` required and refused when seen before.
 * - `none` for public clients (client_id in the body). More than one mechanism: `invalid_request`.
 */
import { type JWTPayload, decodeJwt, jwtVerify } from 'jose';
import type { ClientAuthMethod, OidcClientConfig } from '../config/oidc.js';
import type { OidcDeps } from './deps.js';
import { InvalidClient, InvalidRequest } from './errors.js';

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientCredentials {
  readonly authorization: string | undefined;
  /** The token request's form (the token route's schema: every value a single string). */
  readonly body: Readonly<Record<string, string>>;
}

/** The endpoints where clients authenticate; each may have its own `<endpoint>_endpoint_auth_method`. */
export type AuthEndpoint = 'token' | 'introspection' | 'revocation';

/** The method a client registered for `endpoint`: its own, else the token endpoint's. */
function registeredMethod(client: OidcClientConfig, endpoint: AuthEndpoint): ClientAuthMethod | undefined {
  const own =
    endpoint === 'introspection' ? client.introspectionEndpointAuthMethod : endpoint === 'revocation' ? client.revocationEndpointAuthMethod : undefined;
  return own ?? client.tokenEndpointAuthMethod;
}

/** The methods a client may use at `endpoint`. */
export function allowedMethods(client: OidcClientConfig, endpoint: AuthEndpoint = 'token'): ClientAuthMethod[] {
  const registered = registeredMethod(client, endpoint);
  if (registered) return [registered];
  return client.public ? ['none'] : ['client_secret_basic', 'client_secret_post'];
}

/**
 * Authenticates the client of a token (or introspection, or revocation) request.
 * @throws InvalidClient (unknown client, wrong secret or assertion, method not allowed), InvalidRequest.
 */
export async function authenticateClient(
  deps: OidcDeps,
  input: ClientCredentials,
  audiences: string[],
  endpoint: AuthEndpoint = 'token',
): Promise<OidcClientConfig> {
  const { body } = input;
  const str = (name: string): string | undefined => body[name];
  const basic = input.authorization?.match(/^Basic\s+(.+)$/i)?.[1];
  const assertion = str('client_assertion');
  const secretInBody = str('client_secret');
  if ([basic, assertion, secretInBody].filter((x) => x !== undefined).length > 1) {
    throw new InvalidRequest('The client authenticated in more than one way; use exactly one method.');
  }
  let used: ClientAuthMethod;
  let clientId: string | undefined;
  let secret: string | undefined;
  if (basic !== undefined) {
    used = 'client_secret_basic';
    [clientId, secret] = decodeBasic(basic);
    if (str('client_id') !== undefined && str('client_id') !== clientId) throw new InvalidRequest('client_id differs from the Basic credentials.');
  } else if (assertion !== undefined) {
    if (str('client_assertion_type') !== assertionType) throw new InvalidRequest(`client_assertion_type must be '${assertionType}'.`);
    clientId = safeIssuer(assertion);
    const claimed = deps.clients.get(clientId ?? '');
    used = claimed && registeredMethod(claimed, endpoint) === 'client_secret_jwt' ? 'client_secret_jwt' : 'private_key_jwt';
  } else {
    clientId = str('client_id');
    secret = secretInBody;
    used = secret === undefined ? 'none' : 'client_secret_post';
  }
  if (!clientId) throw new InvalidClient('The client is not identified (no client_id).');
  const client = deps.clients.get(clientId);
  if (!client) throw new InvalidClient('Client authentication failed (unknown client).');
  const allowed = allowedMethods(client, endpoint);
  if (!allowed.includes(used)) {
    const key = registeredMethod(client, endpoint) === client.tokenEndpointAuthMethod ? 'token' : endpoint;
    throw new InvalidClient(
      `Client authentication failed: the client used '${used}' but is registered for '${allowed.join("' or '")}' (${key}_endpoint_auth_method).`,
    );
  }
  if (used === 'client_secret_basic' || used === 'client_secret_post') {
    if (!(await deps.secrets.verify(client, secret ?? ''))) throw new InvalidClient('Client authentication failed (wrong client secret).');
  } else if (used !== 'none') {
    await verifyAssertion(deps, client, used, assertion!, audiences, client.authSigningAlgs[endpoint]);
  }
  return client;
}

function decodeBasic(encoded: string): [string | undefined, string | undefined] {
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw new InvalidClient('The Basic credentials are malformed.');
  try {
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return [decode(text.slice(0, colon)), decode(text.slice(colon + 1))];
  } catch {
    throw new InvalidClient('The Basic credentials are malformed.');
  }
}

function safeIssuer(assertion: string): string | undefined {
  try {
    const claims = decodeJwt(assertion);
    return typeof claims.sub === 'string' ? claims.sub : typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    throw new InvalidClient('The client assertion is not a JWT.');
  }
}

/** Verifies an assertion; `only`: the one algorithm the client registered for the endpoint (`<endpoint>_endpoint_auth_signing_alg`). */
async function verifyAssertion(
  deps: OidcDeps,
  client: OidcClientConfig,
  method: ClientAuthMethod,
  assertion: string,
  audiences: string[],
  only: string | undefined,
): Promise<void> {
  const options = {
    issuer: client.id,
    subject: client.id,
    audience: audiences,
    currentDate: new Date(deps.clock.now()),
    clockTolerance: 30,
    requiredClaims: ['exp', 'jti'],
  };
  let payload: JWTPayload;
  try {
    if (method === 'client_secret_jwt') {
      if (client.secret?.kind !== 'plain') throw new Error('no plain secret');
      const algorithms = only ? [only] : ['HS256', 'HS384', 'HS512'];
      ({ payload } = await jwtVerify(assertion, new TextEncoder().encode(client.secret.value), { ...options, algorithms }));
    } else {
      // The client's `jwks`, or its `jwks_uri` (client-keys.ts: fetched with limits, cached); a failed fetch lands in the log below.
      ({ payload } = await jwtVerify(assertion, deps.clientKeys.resolverFor(client), { ...options, ...(only ? { algorithms: [only] } : {}) }));
    }
  } catch (error) {
    const reason = (error as Error).message;
    deps.logger.info({ clientId: client.id, reason }, 'client assertion refused');
    throw new InvalidClient(`Client authentication failed: the ${method} assertion is invalid (signature, iss, sub, aud or exp).`).withDebug(reason);
  }
  const expiresAt = (payload.exp ?? 0) * 1000;
  if (expiresAt - deps.clock.now() > 3_600_000) throw new InvalidClient('Client authentication failed: the assertion expires more than an hour from now.');
  const fresh = await deps.repository.recordJti(client.id, deps.hasher.hash('jti', String(payload.jti)), expiresAt, deps.clock.now());
  if (!fresh) throw new InvalidClient('Client authentication failed: the assertion was already used (jti replay).');
}
