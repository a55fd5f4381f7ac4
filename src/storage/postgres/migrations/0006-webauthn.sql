-- Gatehouse PostgreSQL schema, version 6: WebAuthn credentials, passkeys and user preferences
-- (as SQLite's 0006). Never edit a released migration. Times are milliseconds since the Unix epoch.

-- One row per registered authenticator; see SQLite's 0006 for what each column means.
CREATE TABLE webauthn_credentials (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username        TEXT NOT NULL,
  rp_id           TEXT NOT NULL,
  credential_id   TEXT NOT NULL UNIQUE,
  description     TEXT NOT NULL,
  public_key      BYTEA NOT NULL,
  sign_count      BIGINT NOT NULL,
  transports      TEXT NOT NULL DEFAULT '',
  aaguid          TEXT NOT NULL DEFAULT '',
  discoverable    BOOLEAN NOT NULL DEFAULT FALSE,
  backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
  backed_up       BOOLEAN NOT NULL DEFAULT FALSE,
  created_at      BIGINT NOT NULL,
  last_used_at    BIGINT
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (username, rp_id);

-- The WebAuthn user handle of each user per relying party (random, opaque).
CREATE TABLE webauthn_users (
  username    TEXT NOT NULL,
  rp_id       TEXT NOT NULL,
  user_handle TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (username, rp_id),
  UNIQUE (rp_id, user_handle)
);

-- What a user chose on the settings page: the second-factor method offered first.
CREATE TABLE user_preferences (
  username             TEXT PRIMARY KEY,
  second_factor_method TEXT NOT NULL,
  updated_at           BIGINT NOT NULL
);
