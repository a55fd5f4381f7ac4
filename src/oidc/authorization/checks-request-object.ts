/**
 * Signed request objects, passed by value (OIDC Core §6.1, RFC 9101):
 * - `request` is a JWT signed by the client with a key of its `jwks` or `jwks_uri`
 *   (client-keys.ts), with its `request_object_signing_alg` when set, else any asymmetric
 *   algorithm of `requestObjectAlgorithms`: never `none`, never HS* (RFC 9101 §10.2: a public key
 *   is no secret); a `typ`, when present, is `oauth-authz-req+jwt` or `JWT` (RFC 9101 §4);
 * - `exp` and `nbf` are honoured (30 s of clock tolerance); `iss`, when present, is the client
 *   id; `aud`, when present, names the issuer (RFC 9101 §4, §6.3);
 * - a `client_id` inside equals the one sent beside it (RFC 9101 §5), which names the client, and
 *   so does a `response_type` (OIDC Core §6.1); `request` / `request_uri` inside are refused;
 * - its parameters replace those sent beside it; parameters sent only beside it stay (the request
 *   object wins, OIDC Core §6.3.3), so `redirect_uri`, `state`, `scope` … inside are the ones checked;
 * - `request_uri` is not supported (`request_uri_not_supported`, RFC 9101 §5.2).
 * It runs before the redirect URI is checked, so that the object's `redirect_uri` is the one
 * checked; a refusal goes to the `redirect_uri` sent beside the object when that one is
 * registered, else to the error page. Failures are `invalid_request_object` (OIDC Core
 * §3.1.2.6); why a signature failed is logged only.
 */
import { type JWTPayload, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { requestObjectAlgorithms } from '../../config/oidc-client.js';
import { InvalidRequestObject, RequestUriNotSupported } from '../errors.js';
import { checkRedirectUri } from './checks-request.js';
import { type AuthorizationContext, type Check, type RawParameters, param } from './context.js';

/** JWT claims of the object that are not authorization parameters. */
const jwtClaims = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

export const checkRequestObject: Check = async (ctx) => {
  try {
    await processRequestObject(ctx);
  } catch (error) {
    try {
      checkRedirectUri(ctx);
    } catch {
      // Not registered (or absent): the refusal is shown on the error page.
    }
    throw error;
  }
};

/** Verifies the object and merges its parameters into `ctx.params` (last, so a refusal leaves them as sent). */
async function processRequestObject(ctx: AuthorizationContext): Promise<void> {
  const jwt = param(ctx, 'request');
  if (param(ctx, 'request_uri') !== undefined) throw new RequestUriNotSupported('request_uri is not supported; send the request object by value (request).');
  if (jwt === undefined) return;
  const client = ctx.client!;
  const algorithms: string[] = client.requestObjectSigningAlg ? [client.requestObjectSigningAlg] : [...requestObjectAlgorithms];
  let alg: unknown;
  let typ: unknown;
  try {
    ({ alg, typ } = decodeProtectedHeader(jwt));
  } catch {
    throw new InvalidRequestObject('The request object is not a JWT.');
  }
  if (alg === 'none') throw new InvalidRequestObject("The request object must be signed; 'none' is not accepted.");
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    throw new InvalidRequestObject(`The request object is signed with '${String(alg)}'; accepted: ${algorithms.join(', ')}.`);
  }
  if (typ !== undefined && (typeof typ !== 'string' || !['oauth-authz-req+jwt', 'jwt'].includes(typ.toLowerCase()))) {
    throw new InvalidRequestObject(`The request object's typ must be 'oauth-authz-req+jwt' but is '${String(typ)}'.`);
  }
  const payload = await verified(ctx, jwt, algorithms);
  if (payload.iss !== undefined && payload.iss !== client.id) throw new InvalidRequestObject('The request object was issued by another client (iss).');
  if (payload.aud !== undefined && ![payload.aud].flat().includes(ctx.issuer)) {
    throw new InvalidRequestObject(`The request object is meant for another audience (aud must name '${ctx.issuer}').`);
  }
  if (payload.client_id !== undefined && payload.client_id !== client.id) {
    throw new InvalidRequestObject('The client_id in the request object differs from the client_id of the request.');
  }
  const responseType = param(ctx, 'response_type');
  if (payload.response_type !== undefined && responseType !== undefined && payload.response_type !== responseType) {
    throw new InvalidRequestObject('The response_type in the request object differs from the response_type of the request.');
  }
  if (payload.request !== undefined || payload.request_uri !== undefined) {
    throw new InvalidRequestObject('The request object must not contain request or request_uri.');
  }
  const merged: RawParameters = { ...ctx.params };
  delete merged.request;
  for (const [name, value] of Object.entries(payload)) {
    if (!jwtClaims.has(name) && value !== null) merged[name] = parameterValue(name, value);
  }
  ctx.params = merged;
}

async function verified(ctx: AuthorizationContext, jwt: string, algorithms: string[]): Promise<JWTPayload> {
  const client = ctx.client!;
  try {
    const { payload } = await jwtVerify(jwt, ctx.deps.clientKeys.resolverFor(client), { algorithms, currentDate: new Date(ctx.now), clockTolerance: 30 });
    return payload;
  } catch (error) {
    ctx.deps.logger.info({ clientId: client.id, reason: (error as Error).message }, 'request object refused');
    if (error instanceof errors.JWTExpired) throw new InvalidRequestObject('The request object has expired.');
    if (error instanceof errors.JWTClaimValidationFailed) throw new InvalidRequestObject(`The request object's '${error.claim}' claim is not valid.`);
    throw new InvalidRequestObject("The request object's signature could not be verified with the client's keys.");
  }
}

/** A parameter as a string: numbers and booleans as written; `claims` as JSON (OIDC Core §5.5). */
function parameterValue(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (name === 'claims' && typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
  throw new InvalidRequestObject(`The request object's '${name}' must be a string.`);
}
