/**
 * Every default value of the configuration, in one place. Durations are milliseconds.
 * Names and values follow Authelia where the concept is the same.
 */
export const defaults = {
  server: {
    address: 'tcp://:9091',
    port: 9091,
    trustedProxies: ['127.0.0.0/8', '::1/128'],
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
  },
  storage: {
    localPath: './data/db.sqlite3',
    encryptionKeyMinLength: 20,
  },
} as const;
