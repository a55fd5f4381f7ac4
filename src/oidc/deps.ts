import type { FastifyBaseLogger } from 'fastify';
import type { UserBackend } from '../auth/users/user.js';
import type { OidcClientConfig, OidcConfig } from '../config/oidc.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import type { Observer } from '../shared/observe.js';
import type { Random } from '../shared/random.js';
import type { OidcRepository } from '../storage/oidc-repositories.js';
import type { ClientKeys } from './client-keys.js';
import type { ClientSecretVerifier } from './client-secret.js';
import type { KeyStore } from './keys.js';
import type { TokenHasher } from './tokens.js';

/** Everything the OpenID Connect area is given by server/ (built once at start). */
export interface OidcDeps {
  readonly config: OidcConfig;
  readonly clients: ReadonlyMap<string, OidcClientConfig>;
  readonly keys: KeyStore;
  readonly repository: OidcRepository;
  readonly hasher: TokenHasher;
  readonly secrets: ClientSecretVerifier;
  /** Clients' public keys (`jwks`, or fetched from `jwks_uri`), for `private_key_jwt` and request objects. */
  readonly clientKeys: ClientKeys;
  readonly sessions: SessionManager;
  readonly users: Pick<UserBackend, 'get'>;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: FastifyBaseLogger;
  /** The audit log and the metrics: told of consents, tokens issued and revoked, RP-initiated and front-channel logouts. */
  readonly observer: Pick<Observer, 'event'>;
  /** Portal look for the pages the provider renders (error, consent); `base` is the path Gatehouse is served under. */
  readonly chrome: { readonly productName: string; readonly theme: string; readonly base: string };
  /** `server.path` (`''` or `/auth`): the issuer is the request's origin followed by it. */
  readonly basePath: string;
}

/** Pending authorization requests (waiting for login or consent) live this long. */
export const pendingLifetime = 10 * 60_000;

/** Endpoint paths, relative to the issuer. */
export const endpoints = {
  authorization: '/api/oidc/authorization',
  token: '/api/oidc/token',
  userinfo: '/api/oidc/userinfo',
  introspection: '/api/oidc/introspection',
  revocation: '/api/oidc/revocation',
  jwks: '/jwks.json',
  consent: '/consent',
  /** RP-Initiated Logout 1.0 `end_session_endpoint`, and where its confirmation form posts. */
  endSession: '/api/oidc/end-session',
  endSessionConfirm: '/api/oidc/end-session/confirm',
} as const;
