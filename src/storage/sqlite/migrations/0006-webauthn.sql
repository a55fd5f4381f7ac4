-- Gatehouse SQLite schema, version 6: WebAuthn credentials, passkeys and user preferences (issue 15).
-- Never edit a released migration. Times are milliseconds since the Unix epoch.

-- One row per registered authenticator (a security key, a platform authenticator, a passkey).
-- `credential_id` is the authenticator's credential ID, base64url; it is unique across users and
-- relying parties (a credential can never be registered twice). `public_key` is the COSE key: it
-- is public and stored as is (as Authelia does). `sign_count` only ever rises (a counter that
-- goes back means a cloned authenticator: the assertion is refused).
CREATE TABLE webauthn_credentials (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  username        TEXT NOT NULL,
  rp_id           TEXT NOT NULL,
  credential_id   TEXT NOT NULL UNIQUE,
  description     TEXT NOT NULL,
  public_key      BLOB NOT NULL,
  sign_count      INTEGER NOT NULL,
  transports      TEXT NOT NULL DEFAULT '',
  aaguid          TEXT NOT NULL DEFAULT '',
  discoverable    INTEGER NOT NULL DEFAULT 0,
  backup_eligible INTEGER NOT NULL DEFAULT 0,
  backed_up       INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  last_used_at    INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (username, rp_id);

-- The WebAuthn user handle of each user per relying party: random and opaque (never the user
-- name), so that an authenticator holds nothing that names the user; a passkey's handle finds it.
CREATE TABLE webauthn_users (
  username    TEXT NOT NULL,
  rp_id       TEXT NOT NULL,
  user_handle TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (username, rp_id),
  UNIQUE (rp_id, user_handle)
);

-- What a user chose on the settings page: the second-factor method offered first.
CREATE TABLE user_preferences (
  username             TEXT PRIMARY KEY,
  second_factor_method TEXT NOT NULL,
  updated_at           INTEGER NOT NULL
);
