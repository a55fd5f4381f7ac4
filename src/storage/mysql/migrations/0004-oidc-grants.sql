-- Gatehouse MySQL/MariaDB schema, version 4: OpenID Connect provider, part 2 (as SQLite's 0004).
-- Never edit a released migration. Times are milliseconds since the Unix epoch.

-- One row per authorization a user (or a client) gave a client; see SQLite's 0004.
CREATE TABLE oidc_grants (
  grant_id   VARCHAR(255) NOT NULL PRIMARY KEY,
  client_id  VARCHAR(255) NOT NULL,
  username   VARCHAR(256) NOT NULL,
  subject    VARCHAR(255) NOT NULL,
  scopes     TEXT NOT NULL,
  data       MEDIUMTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  INDEX oidc_grants_user (username, client_id),
  INDEX oidc_grants_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- format: 'opaque' or 'jwt'; audience: space-separated; a rotated refresh token gets rotated_at
-- and successor_hash names the refresh token issued in its place.
ALTER TABLE oidc_tokens
  ADD COLUMN format VARCHAR(16) NOT NULL DEFAULT 'opaque',
  ADD COLUMN audience VARCHAR(4000) NOT NULL DEFAULT '',
  ADD COLUMN rotated_at BIGINT,
  ADD COLUMN successor_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin;

-- Key rotation: see SQLite's 0004.
ALTER TABLE oidc_signing_keys
  ADD COLUMN activates_at BIGINT,
  ADD COLUMN retires_at BIGINT;

-- Every token insert paid for this index; the purge (every few minutes) scans instead.
DROP INDEX oidc_tokens_expires ON oidc_tokens;
