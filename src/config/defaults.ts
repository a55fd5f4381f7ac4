import { availableParallelism } from 'node:os';

/**
 * Every default value of the configuration, in one place. Durations are milliseconds.
 * Names and values follow Authelia where the concept is the same.
 */
export const defaults = {
  server: {
    address: 'tcp://:9091',
    port: 9091,
    trustedProxies: ['127.0.0.0/8', '::1/128'],
    /** Authelia's `server.timeouts` defaults. */
    timeouts: { read: 6_000, write: 6_000, idle: 30_000 },
    /**
     * Connections per listener. A proxied request holds two file descriptors (client and
     * upstream): keep this under half the process's open-file limit (`ulimit -n`).
     */
    maxConnections: 4_096,
    /**
     * Password hashes computed at once (argon2id takes a core for tens of milliseconds): one
     * core is left to the event loop. At most `queue` attempts wait; more are refused with 503.
     */
    passwordHashing: { concurrency: () => Math.max(1, availableParallelism() - 1), queue: 32 },
  },
  log: {
    level: 'info',
    format: 'text',
  },
  session: {
    name: 'gatehouse_session',
    sameSite: 'lax',
    expiration: 3_600_000,
    inactivity: 300_000,
    rememberMe: 30 * 86_400_000,
    /** How often expired sessions are purged from the store. */
    purgeInterval: 300_000,
    /** Sessions kept in memory for forward-auth (~1 KB each): the oldest is dropped beyond it. */
    cacheSize: 10_000,
    /** `session.redis`: Authelia's defaults. */
    redis: { port: 6379, sentinelPort: 26379, timeout: 5_000, maxRetries: 0, maximumActiveConnections: 8 },
    /** Least length of `session.secret` when it encrypts sessions in Redis. */
    secretMinLength: 20,
  },
  /** Authelia's `telemetry.metrics` defaults (9959: the port Prometheus' port allocations list for Authelia). */
  telemetry: {
    metrics: {
      address: 'tcp://:9959',
      port: 9959,
      path: '/metrics',
      buffers: { read: 4_096, write: 4_096 },
      timeouts: { read: 6_000, write: 6_000, idle: 30_000 },
    },
  },
  proxy: {
    preserveHost: true,
    websocket: false,
    /** How long an upstream may stay silent before the client gets a 504. */
    timeout: 60_000,
  },
  storage: {
    localPath: './data/db.sqlite3',
    encryptionKeyMinLength: 20,
    /** Authelia's `storage.postgres` defaults; `maxConnections` bounds each instance's pool. */
    postgres: { port: 5432, schema: 'public', timeout: 5_000, maxConnections: 10 },
    /** Authelia's `storage.mysql` defaults; `maxConnections` bounds each instance's pool. */
    mysql: { port: 3306, timeout: 5_000, maxConnections: 10 },
  },
  authenticationBackend: {
    refreshInterval: 300_000,
    file: { watch: false, search: { email: false, caseInsensitive: false } },
    /** Authelia's `authentication_backend.file.password.*`; the same as `gatehouse hash-password`. */
    password: {
      algorithm: 'argon2',
      argon2: { variant: 'argon2id', iterations: 3, memory: 65_536, parallelism: 4, keyLength: 32, saltLength: 16 },
      scrypt: { variant: 'scrypt', iterations: 16, blockSize: 8, parallelism: 1, keyLength: 32, saltLength: 16 },
      pbkdf2: {
        variant: 'sha512',
        iterations: { sha1: 1_600_000, sha224: 900_000, sha256: 700_000, sha384: 280_000, sha512: 310_000 },
        saltLength: 16,
      },
      sha2crypt: { variant: 'sha512', iterations: 50_000, saltLength: 16 },
      bcrypt: { variant: 'standard', cost: 12 },
    },
  },
  identityValidation: {
    /** Authelia's `identity_validation.reset_password.jwt_lifespan`. */
    resetPassword: { jwtLifespan: 5 * 60_000, jwtAlgorithm: 'HS256' },
    /**
     * Authelia's `identity_validation.elevated_session`. `require_second_factor` defaults to true
     * here (false in Authelia): with false, a password and the user's mailbox would be enough to
     * add a second factor next to an existing one, i.e. to get past two-factor sign-in.
     */
    elevatedSession: { codeLifespan: 5 * 60_000, elevationLifespan: 10 * 60_000, characters: 8, requireSecondFactor: true },
  },
  totp: {
    issuer: 'Gatehouse',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    skew: 1,
    secretSize: 32,
  },
  regulation: {
    modes: ['user'],
    maxRetries: 3,
    findTime: 120_000,
    banTime: 300_000,
  },
  /** Authelia's `password_policy` defaults: no policy; `max_length` 0 is no maximum. */
  passwordPolicy: {
    standard: {
      enabled: false,
      minLength: 8,
      maxLength: 0,
      requireUppercase: false,
      requireLowercase: false,
      requireNumber: false,
      requireSpecial: false,
    },
    zxcvbn: { enabled: false, minScore: 3 },
  },
  notifier: {
    smtp: {
      address: 'smtp://localhost:25',
      timeout: 5_000,
      identifier: 'localhost',
      subject: '[Gatehouse] {title}',
      startupCheckAddress: 'test@gatehouse.localhost',
    },
  },
} as const;
