import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { closeCryptPool } from '../auth/password/crypt-pool.js';
import { HashLimiter } from '../auth/password/hash-limiter.js';
import { verifyPassword } from '../auth/password/verify.js';
import { AttemptLimiter } from '../auth/regulation/attempt-limiter.js';
import { Regulator } from '../auth/regulation/regulator.js';
import { OneTimeCodes } from '../auth/totp/one-time-codes.js';
import { ResetTokens } from '../auth/password/reset-tokens.js';
import { TotpService } from '../auth/totp/totp-service.js';
import { EmptyUserBackend } from '../auth/users/empty-backend.js';
import { FileUserBackend } from '../auth/users/file-backend.js';
import { LdapUserBackend } from '../auth/users/ldap-backend.js';
import { LdapSessionRefresh } from '../auth/users/ldap-refresh.js';
import { UserSessionRefresh } from '../auth/users/session-refresh.js';
import type { UserBackend } from '../auth/users/user.js';
import { createNotifier } from '../auth/notifier/create-notifier.js';
import { compileRules } from '../rules/compile.js';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { defaults } from '../config/defaults.js';
import { SessionManager } from '../session/manager.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { StartupError } from '../shared/errors.js';
import { requestIds } from '../shared/http/request-id.js';
import { type Random, systemRandom } from '../shared/random.js';
import { keyReloadInterval } from '../oidc/keys.js';
import { BackchannelSender, type BackchannelTuning } from '../oidc/logout/backchannel-sender.js';
import { openStorage, storageLocation } from '../storage/open.js';
import type { Storage } from '../storage/storage.js';
import { buildServer, type Services } from './build.js';
import { createMetrics } from './metrics.js';
import { startMetricsListener } from './metrics-listener.js';
import { gatewayObserver } from './observer.js';
import { HealthCheck, logOutages } from './health.js';
import { authzServices } from './authz-deps.js';
import { oidcDeps } from './oidc-deps.js';
import { revokeGrantsOfEndedUsers } from './oidc-user-sync.js';
import { watchEndedSessions } from './session-admin.js';
import { openSessionStore } from './session-store.js';
import { portalDeps } from './portal-deps.js';
import { trustFunction } from './trust.js';
import { outgoingFetch, withFetch } from './outgoing-fetch.js';

export interface GatewayOptions {
  readonly logger: Logger;
  readonly appVersion: string;
  readonly clock?: Clock;
  readonly random?: Random;
  /** How long shutdown waits for in-flight requests before cutting them (default 30 s). */
  readonly shutdownGraceMs?: number;
  /** The back-channel logout sender's intervals and bounds (tests shorten them; oidc/logout/backchannel-sender.ts). */
  readonly backchannel?: BackchannelTuning;
  /** For embedding: registers extra plugins or routes after Gatehouse's own, before listening. */
  readonly beforeListen?: (app: FastifyInstance) => void | Promise<void>;
}

/** A running gateway. */
export interface Gateway {
  readonly app: FastifyInstance;
  readonly storage: Storage;
  readonly sessions: SessionManager;
  /** Where it listens: `http://127.0.0.1:9091`, `https://…` or `unix:/path`. */
  readonly url: string;
  /** Where the metrics are served (`http://…:9959/metrics`); undefined unless `telemetry.metrics.enabled`. */
  readonly metricsUrl: string | undefined;
  /** Stops accepting, lets in-flight requests finish, closes storage. Idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root: opens storage, builds the session manager and the server, listens.
 * @throws StartupError with the configuration key to fix (port in use, storage key, folder…).
 */
export async function startGateway(config: Config, options: GatewayOptions): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const { logger } = options;
  const storage = await openStorage(config.storage, { clock, appVersion: options.appVersion });
  if (storage.applied.length > 0) logger.info({ versions: storage.applied }, 'storage migrated');
  const closers: (() => Promise<void>)[] = [() => storage.close(), () => closeCryptPool()];
  let app: FastifyInstance | undefined;
  let started: SessionManager | undefined;
  try {
    // Password hashing within server.password_hashing: logins never take every core from the hot path.
    const hashing = new HashLimiter(config.server.passwordHashing);
    const verify = (digest: string, password: string) => hashing.run(() => verifyPassword(digest, password));
    const backend = await openUserBackend(config, logger, closers, verify);
    const ldapConfig = config.authenticationBackend?.ldap;
    const ldap = ldapConfig && new LdapUserBackend({ config: ldapConfig, clock, logger });
    const interval = config.authenticationBackend?.refreshInterval ?? defaults.authenticationBackend.refreshInterval;
    // Redis with session.redis, else the storage; behind the in-process cache (server/session-store.ts).
    const sessionStore = await openSessionStore(config, { storage, clock, random, logger, cache: true });
    closers.push(() => sessionStore.close());
    const sessions = new SessionManager({
      store: sessionStore.store,
      cookies: config.session.cookies,
      clock,
      random,
      // Ends sessions of removed, disabled or re-passworded users; refreshes groups (auth/users/session-refresh.ts).
      // With LDAP: the user searched again at refresh_interval (auth/users/ldap-refresh.ts).
      refresh: backend
        ? new UserSessionRefresh({ users: backend, interval, clock, logger })
        : ldap && new LdapSessionRefresh({ lookup: (username) => ldap.lookup(username), interval, logger }),
    });
    started = sessions;
    const trust = trustFunction(config.server.trustedProxies);
    // PostgreSQL and Redis lost while running: requests needing them get 503, /api/health says so, the log tells when.
    const stores = [storage.health, sessionStore.health, ldap?.health].filter((h) => h !== undefined);
    logOutages(stores, logger);
    const health = new HealthCheck({ stores, clock });
    // The audit log and, with telemetry.metrics, the metrics: one observer handed to every area (shared/observe.ts).
    const metrics = config.telemetry.metrics.enabled ? await createMetrics() : undefined;
    const observer = gatewayObserver(logger, metrics);
    for (const { store, availability } of stores) availability.listen({ failed: () => observer.event({ event: 'store_error', store }) });
    const services = await buildServices(
      config,
      { clock, random, logger, storage, sessions, trust, health, observer },
      { backend, ldap, verify },
      closers,
      options.backchannel,
    );
    app = await buildServer(services);
    await options.beforeListen?.(app);
    const url = await listen(app, config);
    const exporter = metrics && (await startMetricsListener(config.telemetry.metrics, metrics, logger));
    if (exporter) closers.push(() => exporter.close());
    sessions.startPurging(defaults.session.purgeInterval, (error) => logger.error({ err: error }, 'session purge failed'));
    // Expired OpenID Connect codes, tokens, pending requests and replay entries, on the same beat.
    const oidcPurge = setInterval(() => {
      storage.oidc.purgeExpired(clock.now()).catch((error: unknown) => logger.error({ err: error }, 'OIDC purge failed'));
      storage.oidc.deleteRetiredSigningKeys(clock.now()).catch((error: unknown) => logger.error({ err: error }, 'OIDC signing key purge failed'));
    }, defaults.session.purgeInterval);
    oidcPurge.unref();
    closers.push(async () => clearInterval(oidcPurge));
    // Signing keys rotated by `gatehouse oidc keys rotate` (another process) are picked up within keyReloadInterval.
    const stopKeyReload = services.oidc?.keys.startReloading(keyReloadInterval, logger);
    if (stopKeyReload) closers.push(async () => stopKeyReload());
    logger.info({ url, storage: storageLocation(config.storage), metrics: exporter?.url }, `Gatehouse ${options.appVersion} listening on ${url}`);
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= shutdown(app!, closers, sessions, logger, options.shutdownGraceMs ?? 30_000));
    return { app, storage, sessions, url, metricsUrl: exporter?.url, close };
  } catch (error) {
    started?.stop();
    await app?.close().catch(() => undefined);
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
    throw error;
  }
}

/** Builds every long-lived service once; registers what must be closed at shutdown in `closers`. */
async function buildServices(
  config: Config,
  base: Pick<Services, 'clock' | 'random' | 'logger' | 'storage' | 'sessions' | 'trust' | 'health' | 'observer'>,
  {
    backend,
    ldap,
    verify,
  }: { backend: FileUserBackend | undefined; ldap: LdapUserBackend | undefined; verify: (digest: string, password: string) => Promise<boolean> },
  closers: (() => Promise<void>)[],
  backchannel: BackchannelTuning = {},
): Promise<Services> {
  const { clock, random, logger, storage, observer } = base;
  const users: UserBackend = backend ?? ldap ?? new EmptyUserBackend();
  const notifier = config.notifier ? await createNotifier(config.notifier, clock) : undefined;
  if (notifier) closers.push(() => notifier.close());
  // One rule set and one regulator, shared by the portal, the forward-auth endpoints and the proxy.
  const rules = compileRules(config.accessControl);
  const regulator = new Regulator({ config: config.regulation, storage, clock, observer });
  const portal = portalDeps({
    config,
    sessions: base.sessions,
    clock,
    logger: logger as FastifyBaseLogger,
    users,
    regulator,
    totp: new TotpService({ config: config.totp, repository: storage.totp, clock, random }),
    totpLimiter: new AttemptLimiter({ maxFailures: 5, window: 5 * 60_000, clock }),
    oneTimeCodes: new OneTimeCodes({
      repository: storage.oneTimeCodes,
      clock,
      random,
      lifespan: config.identityValidation.elevatedSession.codeLifespan,
      characters: config.identityValidation.elevatedSession.characters,
    }),
    notifier,
    fileBackend: backend,
    ldapBackend: ldap,
    resetTokens: new ResetTokens({ repository: storage.oneTimeCodes, clock, random, lifespan: config.identityValidation.resetPassword.jwtLifespan }),
    // Reset e-mails: 10 per IP and 3 per account in 15 minutes.
    resetLimiters: {
      ip: new AttemptLimiter({ maxFailures: 10, window: 15 * 60_000, clock }),
      user: new AttemptLimiter({ maxFailures: 3, window: 15 * 60_000, clock }),
    },
    rules,
    cipher: storage.cipher,
    random,
    webauthn: storage.webauthn,
    preferences: storage.preferences,
    observer,
  });
  const oidc = await oidcDeps({
    config,
    verifyPassword: verify,
    storage,
    sessions: base.sessions,
    users,
    clock,
    random,
    logger: logger as FastifyBaseLogger,
    observer,
  });
  const requestId = requestIds();
  const authz = authzServices({ config, rules, sessions: base.sessions, users, regulator, logger, trust: base.trust, requestId, oidc, observer }, closers);
  // Back-channel logouts queued in the database (by this gateway, an earlier run or the CLI) are
  // delivered from here until shutdown; `kick` sends what an ended session queued at once.
  const sender =
    oidc &&
    new BackchannelSender({
      ...backchannel,
      ...withFetch(outgoingFetch(config.certificates)),
      repository: storage.oidc,
      keys: oidc.keys,
      clients: oidc.clients,
      clock,
      logger,
      observer,
    });
  if (sender) {
    sender.start();
    closers.push(() => sender.stop());
  }
  // A session that ends, however it ends, is audited and, with OpenID Connect, revokes the grants
  // given in it and tells their clients over the back channel (server/session-admin.ts).
  watchEndedSessions(base.sessions, { logger, oidc, observer, kick: () => sender?.kick() });
  // Users disabled or removed in the users file lose their OpenID Connect grants too (server/oidc-user-sync.ts).
  if (oidc && backend) {
    const stop = revokeGrantsOfEndedUsers({ users: backend, repository: storage.oidc, clock, logger, observer });
    closers.push(async () => stop());
  }
  return { ...base, config, portal, ...authz, requestId, oidc };
}

/** The configured users file, watched when asked; undefined (and a warning) when none is configured. */
async function openUserBackend(
  config: Config,
  logger: Logger,
  closers: (() => Promise<void>)[],
  verify: (digest: string, password: string) => Promise<boolean>,
): Promise<FileUserBackend | undefined> {
  if (!config.authenticationBackend) {
    logger.warn('no authentication_backend is configured: nobody can sign in');
    return undefined;
  }
  // authentication_backend.ldap is opened by the caller (a directory needs no reading at start).
  if (!config.authenticationBackend.file) return undefined;
  const backend = await FileUserBackend.open({ config: config.authenticationBackend.file, logger, verify });
  closers.push(() => backend.close());
  return backend;
}

async function listen(app: FastifyInstance, config: Config): Promise<string> {
  const address = config.server.address;
  const scheme = config.server.tls ? 'https' : 'http';
  try {
    if (address.kind === 'unix') {
      if (existsSync(address.path) && lstatSync(address.path).isSocket()) unlinkSync(address.path);
      await app.listen({ path: address.path });
      return `unix:${address.path}`;
    }
    // fastify names the scheme from its own https option; TLS is the listener's here (listener.ts).
    const listenTextResolver = (at: string) => `Server listening at ${at.replace(/^https?:/, `${scheme}:`)}`;
    await app.listen({ host: address.host === '' ? '::' : address.host, port: address.port, listenTextResolver });
  } catch (error) {
    throw listenError(error, config);
  }
  const bound = app.server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return `${scheme}://${host}:${bound.port}`;
}

function listenError(error: unknown, config: Config): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const a = config.server.address;
  const shown = a.kind === 'unix' ? `unix://${a.path}` : `tcp://${a.host}:${a.port}`;
  const reasons: Record<string, string> = {
    EADDRINUSE: 'is already in use by another process; stop it or choose another port',
    EACCES: 'needs privileges this process does not have (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
    EADDRNOTAVAIL: 'is not an address of this machine',
    ENOTFOUND: 'names a host that cannot be resolved',
  };
  const reason = (code && reasons[code]) ?? `cannot be listened on: ${(error as Error).message}`;
  return new StartupError('GH_LISTEN', `server.address: ${shown} ${reason}${code ? ` (${code})` : ''}`, error);
}

async function shutdown(app: FastifyInstance, closers: (() => Promise<void>)[], sessions: SessionManager, logger: Logger, graceMs: number): Promise<void> {
  logger.info('shutting down: no new connections, finishing requests in flight');
  sessions.stop();
  const force = setTimeout(() => {
    logger.warn(`requests still running after ${graceMs} ms; closing their connections`);
    app.server.closeAllConnections();
  }, graceMs);
  force.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(force);
    for (const closer of [...closers].reverse()) await closer();
  }
  logger.info('stopped');
}
