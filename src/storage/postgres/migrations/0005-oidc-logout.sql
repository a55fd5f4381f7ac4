-- Gatehouse PostgreSQL schema, version 5: single logout (as SQLite's 0005). Never edit a released
-- migration. Times are milliseconds since the Unix epoch.

-- The browser session a grant was given in (the `sid` of its ID tokens): ending that session
-- finds its grants (to revoke their tokens and tell their clients). '' for client credentials.
ALTER TABLE oidc_grants ADD COLUMN sid TEXT NOT NULL DEFAULT '';
CREATE INDEX oidc_grants_sid ON oidc_grants (sid);

-- Back-channel logout deliveries waiting to be sent (Back-Channel Logout 1.0): one row per client
-- to tell, kept until its receiver answers 2xx or expires_at passes (then given up, logged).
-- A durable queue: a restart loses nothing; the logout token is signed at each attempt (fresh
-- iat/exp, the same jti).
CREATE TABLE oidc_logout_deliveries (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id       TEXT NOT NULL,
  uri             TEXT NOT NULL,
  issuer          TEXT NOT NULL,
  subject         TEXT NOT NULL,
  sid             TEXT NOT NULL,
  jti             TEXT NOT NULL,
  reason          TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      BIGINT NOT NULL
);
CREATE INDEX oidc_logout_deliveries_due ON oidc_logout_deliveries (next_attempt_at);
