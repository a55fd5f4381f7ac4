/**
 * `GET|POST /api/oidc/end-session` — RP-initiated logout (OpenID RP-Initiated Logout 1.0). The
 * portal serves the route (session, cookie, pages: portal/handlers/end-session.ts); this module
 * decides what a request may do, by the checks below, in order:
 * - `checkIdTokenHint` (§2): an `id_token_hint` must be an ID token of this provider — signed by
 *   one of its keys (published, or retired and still held), with an algorithm it signs with (so
 *   never `none`, never HS*), `typ` absent or `JWT`, `iss` this issuer, `sub` and `aud` present.
 *   An expired one is accepted, as §2 allows: the RP logs out after its ID token has expired.
 * - `checkClient` (§2): a `client_id` must name a configured client and be in the hint's `aud`;
 *   without it, the hint's `azp` (else its first `aud`) names the client, when configured.
 * - `checkPostLogoutRedirectUri` (§3, §3.1): honoured only for a known client whose
 *   `post_logout_redirect_uris` hold it exactly (no normalisation: case, trailing slash, query
 *   and scheme count); `state` is then added to its query. Without it, the signed-out page.
 * - `logout_hint` and `ui_locales` are accepted and not used.
 * Any refusal is the error page (400): never a redirect, and no session ends.
 *
 * Whether the user must confirm is {@link EndSessionPort.tiedTo}: only a hint naming the current
 * session (its `sid`) and user (its subject) ends it at once; otherwise — no hint, another
 * session, another user — a cross-site link could sign people out, so the user is asked (§2).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { compactVerify, createLocalJWKSet } from 'jose';
import type { Static } from 'typebox';
import { oidcSigningAlgorithms } from '../../config/oidc-keys.js';
import type { OidcClientConfig } from '../../config/oidc.js';
import { GatehouseError } from '../../shared/errors.js';
import { type OidcDeps, endpoints } from '../deps.js';
import { InvalidRequest, OAuthError } from '../errors.js';
import { type ErrorPageWording, type PageChrome, fromRequestError, sendOAuthErrorPage, toOAuthError } from '../render.js';
import type { endSessionParameters } from '../schemas.js';
import { sectorOf } from '../subjects.js';
import { newUuid } from '../tokens.js';
import { type FrontChannelPort, frontChannelFrames } from './front-channel.js';

export type EndSessionParameters = Static<typeof endSessionParameters>;

/** What the checked hint says: the session, subject and client it was issued for. */
export interface IdTokenHint {
  readonly sid: string | undefined;
  readonly subject: string;
  /** `azp`, else the first `aud`: the client the ID token was issued to. */
  readonly clientId: string;
  readonly audience: readonly string[];
}

/** A checked end-session request. */
export interface LogoutRequest {
  /** The client named by `client_id` or the hint, when configured. */
  readonly clientId: string | undefined;
  readonly clientName: string | undefined;
  /** Where the browser goes once signed out (`post_logout_redirect_uri` with `state`); undefined: the signed-out page. */
  readonly redirect: string | undefined;
  /** Its origin (for the confirmation page's CSP `form-action`). */
  readonly redirectOrigin: string | undefined;
  readonly hint: IdTokenHint | undefined;
  /**
   * What the confirmation form carries: `client_id`, `post_logout_redirect_uri` and `state` as
   * checked (never the hint). Posted back, they are checked again.
   */
  readonly confirmFields: Readonly<Record<string, string>>;
}

/** The portal's view of RP-initiated logout. */
export interface EndSessionPort extends FrontChannelPort {
  /** The endpoint's path, and where the confirmation form posts. */
  readonly path: string;
  readonly confirmPath: string;
  /**
   * Checks a request's parameters (see the top of this file) under `issuer`.
   * @throws OAuthError (`invalid_request`) for any refusal: the route shows the error page.
   */
  check(parameters: EndSessionParameters, issuer: string): Promise<LogoutRequest>;
  /** Whether the request's hint names this signed-in session and its user: then no confirmation is needed. */
  tiedTo(request: LogoutRequest, session: { readonly username: string; readonly sid?: string | undefined }): Promise<boolean>;
}

interface EndSessionContext {
  readonly deps: OidcDeps;
  readonly issuer: string;
  readonly params: EndSessionParameters;
  hint: IdTokenHint | undefined;
  client: OidcClientConfig | undefined;
  redirect: string | undefined;
}

type EndSessionCheck = (ctx: EndSessionContext) => Promise<void> | void;

const notOurs = () => new InvalidRequest('id_token_hint is not an ID token issued by this provider.');

export const checkIdTokenHint: EndSessionCheck = async (ctx) => {
  const hint = ctx.params.id_token_hint;
  if (hint === undefined) return;
  let claims: unknown;
  try {
    const jwks = createLocalJWKSet(ctx.deps.keys.verificationJwks());
    const { payload, protectedHeader } = await compactVerify(hint, jwks, { algorithms: [...oidcSigningAlgorithms] });
    if (protectedHeader.typ !== undefined && protectedHeader.typ.toUpperCase() !== 'JWT') throw notOurs();
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw notOurs();
  }
  if (!isRecord(claims) || claims.iss !== ctx.issuer || typeof claims.sub !== 'string' || claims.sub === '') throw notOurs();
  const audience = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a) => typeof a === 'string') : [];
  const clientId = typeof claims.azp === 'string' ? claims.azp : audience[0];
  const sid = claims.sid;
  if (clientId === undefined || (sid !== undefined && typeof sid !== 'string')) throw notOurs();
  ctx.hint = { sid: sid || undefined, subject: claims.sub, clientId, audience };
};

export const checkClient: EndSessionCheck = (ctx) => {
  const clientId = ctx.params.client_id;
  if (clientId === undefined) {
    ctx.client = ctx.hint && ctx.deps.clients.get(ctx.hint.clientId);
    return;
  }
  ctx.client = ctx.deps.clients.get(clientId);
  if (!ctx.client) throw new InvalidRequest('client_id names no client of this provider.');
  if (ctx.hint && !ctx.hint.audience.includes(clientId)) throw new InvalidRequest('id_token_hint was not issued to the client named by client_id.');
};

export const checkPostLogoutRedirectUri: EndSessionCheck = (ctx) => {
  const uri = ctx.params.post_logout_redirect_uri;
  if (uri === undefined) return;
  if (!ctx.client) throw new InvalidRequest('post_logout_redirect_uri needs client_id or id_token_hint to name the client it is registered for.');
  if (!ctx.client.postLogoutRedirectUris.includes(uri)) throw new InvalidRequest('post_logout_redirect_uri is not registered for this client.');
  const url = new URL(uri);
  if (ctx.params.state !== undefined) url.searchParams.append('state', ctx.params.state);
  ctx.redirect = url.href;
};

/** The checks, in order. */
export const endSessionChecks: readonly EndSessionCheck[] = [checkIdTokenHint, checkClient, checkPostLogoutRedirectUri];

export function endSessionPort(deps: OidcDeps): EndSessionPort {
  return {
    path: endpoints.endSession,
    confirmPath: endpoints.endSessionConfirm,

    async check(params, issuer) {
      const ctx: EndSessionContext = { deps, issuer, params, hint: undefined, client: undefined, redirect: undefined };
      for (const check of endSessionChecks) await check(ctx);
      const { client, redirect } = ctx;
      return {
        clientId: client?.id,
        clientName: client && (client.name || client.id),
        redirect,
        redirectOrigin: redirect && new URL(redirect).origin,
        hint: ctx.hint,
        confirmFields: {
          ...(client ? { client_id: client.id } : {}),
          ...(redirect && params.post_logout_redirect_uri !== undefined ? { post_logout_redirect_uri: params.post_logout_redirect_uri } : {}),
          ...(redirect && params.state !== undefined ? { state: params.state } : {}),
        },
      };
    },

    async tiedTo(request, session) {
      const hint = request.hint;
      if (hint?.sid === undefined || hint.sid !== session.sid) return false;
      const client = deps.clients.get(hint.clientId);
      if (!client) return false;
      const subject = await deps.repository.subjectFor(session.username, sectorOf(client), () => newUuid(deps.random), deps.clock.now());
      return subject === hint.subject;
    },

    framesOf: (sid) => frontChannelFrames(deps, sid),
  };
}

const signOutRefused: ErrorPageWording = {
  title: 'Sign-out request refused',
  detail: 'The application that sent you here is misconfigured or the link was altered. You have not been signed out.',
};

/**
 * Route `errorHandler` of the end-session routes: every refusal — a check's, the schema's, a
 * host outside every cookie domain — is the error page, never a redirect.
 */
export function endSessionErrorHandler(chrome: PageChrome): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const exposed = !(error instanceof OAuthError) && error instanceof GatehouseError && error.expose && error.status < 500;
    const refused = exposed ? new InvalidRequest(error.message) : fromRequestError(error, request);
    void sendOAuthErrorPage(reply, toOAuthError(refused, request), chrome, signOutRefused);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
