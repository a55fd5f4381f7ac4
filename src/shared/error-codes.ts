/**
 * Every error Gatehouse raises on purpose, in one table: its stable code, the HTTP status it is
 * answered with when it reaches a client, and what it means. Error classes take their code from
 * here (the compiler refuses any other), and docs/errors.md lists every row (a test checks it).
 */
export const errorCodes = {
  GH_CONFIG_INVALID: { status: 500, meaning: 'The configuration file has problems; each is printed with its dotted path.' },
  GH_LISTEN: {
    status: 500,
    meaning: 'server.address (or telemetry.metrics.address) cannot be listened on (port in use, no privilege, not an address of this machine).',
  },
  GH_USERS_FILE: { status: 500, meaning: 'The users file (authentication_backend.file.path) cannot be read or has problems.' },
  GH_USERS_FILE_WRITE: {
    status: 500,
    meaning:
      "A user's new password digest could not be written to the users file (unknown user, a file that has problems or kept changing, a filesystem error); the file is unchanged.",
  },
  GH_STORAGE_OPEN: { status: 500, meaning: 'The SQLite database (storage.local.path) cannot be opened.' },
  GH_STORAGE_CONNECT: {
    status: 500,
    meaning:
      'The PostgreSQL or MySQL server (storage.postgres, storage.mysql) cannot be reached or refuses Gatehouse at start; the message names the key to fix and the address.',
  },
  GH_STORAGE_INIT: { status: 500, meaning: 'The database cannot be prepared (migrations, pragmas).' },
  GH_STORAGE_FOLDER: { status: 500, meaning: "The database's folder cannot be created." },
  GH_STORAGE_KEY_MISMATCH: { status: 500, meaning: 'storage.encryption_key is not the key the database was created with.' },
  GH_STORAGE_DECRYPT: { status: 500, meaning: 'A stored encrypted value is malformed or was altered.' },
  GH_STORAGE_COPY: {
    status: 500,
    meaning:
      'gatehouse storage copy refused or failed: the source is missing or is the target, the hmac_secret differs, the schemas differ, or a row cannot be decrypted or written; the target is unchanged.',
  },
  GH_STORAGE_COPY_TARGET_NOT_EMPTY: {
    status: 500,
    meaning: 'gatehouse storage copy refused a target that holds rows (without --force); the target is unchanged.',
  },
  GH_SESSION_REDIS: {
    status: 500,
    meaning: 'Redis (session.redis) cannot be reached or refuses Gatehouse at start; the message names the address and the keys to check.',
  },
  GH_SESSION_STORE_UNAVAILABLE: {
    status: 503,
    meaning: 'The session store (Redis) is unreachable or failing while running: requests that need a session are refused until it is back.',
  },
  GH_PASSWORD_HASHING_BUSY: {
    status: 503,
    meaning: 'Password hashing is at server.password_hashing.concurrency and its queue is full: this sign-in is refused at once instead of waiting.',
  },
  GH_STORAGE_UNAVAILABLE: {
    status: 503,
    meaning:
      'The PostgreSQL or MySQL server (storage.postgres, storage.mysql) is unreachable or not answering while running: requests that need storage are refused until it is back.',
  },
  GH_LDAP_UNAVAILABLE: {
    status: 503,
    meaning:
      'The LDAP directory (authentication_backend.ldap) cannot be reached, does not answer in time or refuses the service account: sign-ins and session checks are refused until it answers.',
  },
  GH_LDAP_PASSWORD_WRITE: {
    status: 500,
    meaning:
      "A new password was refused by the LDAP directory (authentication_backend.ldap): the service account may not write it, the directory's password policy, or the user is gone; nothing changed.",
  },
  GH_NOTIFIER_STARTUP: { status: 500, meaning: 'The notifier (filesystem or SMTP) failed its start-up check.' },
  GH_NTP_DESYNC: { status: 500, meaning: 'The clock differs from the NTP server by more than ntp.max_desync at start.' },
  GH_NOTIFIER_SEND: { status: 500, meaning: 'A notification (an identity-check code) could not be handed over.' },
  GH_DIGEST_UNSUPPORTED: { status: 500, meaning: 'A password digest is in a format Gatehouse cannot verify.' },
  GH_USAGE: { status: 400, meaning: 'A command-line mistake (unknown command or option): printed with a hint, exit code 2.' },
  GH_PORTAL_HOST: { status: 400, meaning: 'The portal was reached on a host under no session cookie domain.' },
  GH_PORTAL_PLAIN_HTTP: { status: 400, meaning: 'The portal of an https cookie domain was reached over plain http.' },
  GH_FORWARDED_HEADER: { status: 400, meaning: 'A forward-auth request has a missing, repeated or malformed forwarded header.' },
  GH_UPSTREAM_TIMEOUT: { status: 504, meaning: 'A proxied upstream stayed silent longer than its timeout.' },
  GH_CLIENT_KEYS: {
    status: 401,
    meaning: "An OIDC client's public keys (jwks_uri) could not be fetched or read; answered as invalid_client (invalid_request_object for request objects).",
  },
  GH_OAUTH: { status: 400, meaning: 'An OAuth 2.0 / OpenID Connect error; its wire code (invalid_request, invalid_grant…) and status are its own.' },
} as const satisfies Record<string, { readonly status: number; readonly meaning: string }>;

/** A code of the table. */
export type ErrorCode = keyof typeof errorCodes;
