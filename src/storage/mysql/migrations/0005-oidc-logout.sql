-- Gatehouse MySQL/MariaDB schema, version 5: single logout (as SQLite's 0005). Never edit a
-- released migration. Times are milliseconds since the Unix epoch.

-- The browser session a grant was given in (the `sid` of its ID tokens). '' for client credentials.
ALTER TABLE oidc_grants ADD COLUMN sid VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX oidc_grants_sid ON oidc_grants (sid);

-- Back-channel logout deliveries waiting to be sent: a durable queue (see SQLite's 0005).
CREATE TABLE oidc_logout_deliveries (
  id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client_id       VARCHAR(255) NOT NULL,
  uri             TEXT NOT NULL,
  issuer          TEXT NOT NULL,
  subject         VARCHAR(255) NOT NULL,
  sid             VARCHAR(255) NOT NULL,
  jti             VARCHAR(255) NOT NULL,
  reason          VARCHAR(255) NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  last_error      VARCHAR(2000) NOT NULL DEFAULT '',
  created_at      BIGINT NOT NULL,
  INDEX oidc_logout_deliveries_due (next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
