-- Gatehouse MySQL/MariaDB schema, version 6: WebAuthn credentials, passkeys and user preferences
-- (as SQLite's 0006). Never edit a released migration. Times are milliseconds since the Unix epoch.

-- One row per registered authenticator; see SQLite's 0006 for what each column means.
-- credential_id is base64url (a credential id is at most 1023 bytes).
CREATE TABLE webauthn_credentials (
  id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username        VARCHAR(256) NOT NULL,
  rp_id           VARCHAR(255) NOT NULL,
  credential_id   VARCHAR(1400) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  description     VARCHAR(256) NOT NULL,
  public_key      BLOB NOT NULL,
  sign_count      BIGINT NOT NULL,
  transports      VARCHAR(255) NOT NULL DEFAULT '',
  aaguid          VARCHAR(64) NOT NULL DEFAULT '',
  discoverable    BOOLEAN NOT NULL DEFAULT FALSE,
  backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
  backed_up       BOOLEAN NOT NULL DEFAULT FALSE,
  created_at      BIGINT NOT NULL,
  last_used_at    BIGINT,
  UNIQUE KEY webauthn_credentials_id (credential_id),
  INDEX webauthn_credentials_user (username, rp_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The WebAuthn user handle of each user per relying party (random, opaque).
CREATE TABLE webauthn_users (
  username    VARCHAR(256) NOT NULL,
  rp_id       VARCHAR(255) NOT NULL,
  user_handle VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (username, rp_id),
  UNIQUE KEY webauthn_users_handle (rp_id, user_handle)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What a user chose on the settings page: the second-factor method offered first.
CREATE TABLE user_preferences (
  username             VARCHAR(256) NOT NULL PRIMARY KEY,
  second_factor_method VARCHAR(64) NOT NULL,
  updated_at           BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
