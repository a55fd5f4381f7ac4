import type { FastifyBaseLogger } from 'fastify';
import type { UserBackend } from '../auth/users/user.js';
import type { Config } from '../config/config.js';
import { ClientKeys } from '../oidc/client-keys.js';
import { ClientSecretVerifier } from '../oidc/client-secret.js';
import type { OidcDeps } from '../oidc/deps.js';
import { KeyStore } from '../oidc/keys.js';
import { TokenHasher } from '../oidc/tokens.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import { type Observer, silentObserver } from '../shared/observe.js';
import type { Random } from '../shared/random.js';
import type { Storage } from '../storage/storage.js';
import { outgoingFetch, withFetch } from './outgoing-fetch.js';

/**
 * Builds the OpenID Connect provider's services when `identity_providers.oidc` is configured:
 * loads (or, at first start, generates and stores) the signing keys. Undefined otherwise.
 */
export async function oidcDeps(s: {
  config: Config;
  /** Password-digest verification within the hashing limits (client secrets stored as digests). */
  verifyPassword: (digest: string, password: string) => Promise<boolean>;
  storage: Storage;
  sessions: SessionManager;
  users: UserBackend;
  clock: Clock;
  random: Random;
  logger: FastifyBaseLogger;
  /** Default: nobody (`gatehouse sessions` builds the provider for single logout only). */
  observer?: Observer;
}): Promise<OidcDeps | undefined> {
  const config = s.config.identityProviders.oidc;
  if (!config) return undefined;
  // Every algorithm a client signs with gets a stored key when none is configured.
  const needed = config.clients
    .flatMap((c) => [c.idTokenSignedResponseAlg, c.userinfoSignedResponseAlg, c.accessTokenSignedResponseAlg])
    .filter((a) => a !== 'none');
  const keys = await KeyStore.load(config.jwks, s.storage.oidc, s.clock, needed);
  s.logger.info({ keys: keys.keys.map((k) => k.kid), clients: config.clients.length }, 'OpenID Connect provider ready');
  return {
    config,
    clients: new Map(config.clients.map((c) => [c.id, c])),
    keys,
    repository: s.storage.oidc,
    hasher: new TokenHasher(config.hmacSecret),
    secrets: new ClientSecretVerifier(s.verifyPassword),
    clientKeys: new ClientKeys({ clock: s.clock, ...withFetch(outgoingFetch(s.config.certificates)) }),
    sessions: s.sessions,
    users: s.users,
    clock: s.clock,
    random: s.random,
    logger: s.logger,
    observer: s.observer ?? silentObserver,
    chrome: { productName: s.config.portal.title, theme: s.config.portal.theme, base: s.config.server.path },
    basePath: s.config.server.path,
  };
}
