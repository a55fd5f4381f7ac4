-- Gatehouse PostgreSQL schema, version 4: OpenID Connect provider, part 2 (as SQLite's 0004:
-- refresh tokens, introspection and revocation, client credentials, JWT access tokens, key
-- rotation). Never edit a released migration. Times are milliseconds since the Unix epoch.

-- One row per authorization a user (or, for client_credentials, a client) gave a client: every
-- code, access and refresh token issued from it carries its grant_id. Revoking the grant (code or
-- refresh-token replay, consent revoked, user removed) revokes all of them. expires_at is the
-- absolute lifetime (lifespans.grant): no refresh after it. data is JSON (issuer, auth_time, amr,
-- the claims request).
CREATE TABLE oidc_grants (
  grant_id   TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  username   TEXT NOT NULL,
  subject    TEXT NOT NULL,
  scopes     TEXT NOT NULL,
  data       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX oidc_grants_user ON oidc_grants (username, client_id);
CREATE INDEX oidc_grants_expires ON oidc_grants (expires_at);

-- format: 'opaque' (token_hash = HMAC of the token) or 'jwt' (RFC 9068; token_hash = HMAC of its
-- jti). audience: space-separated. A refresh token used to rotate gets rotated_at, and
-- successor_hash names the refresh token issued in its place.
ALTER TABLE oidc_tokens ADD COLUMN format TEXT NOT NULL DEFAULT 'opaque';
ALTER TABLE oidc_tokens ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE oidc_tokens ADD COLUMN rotated_at BIGINT;
ALTER TABLE oidc_tokens ADD COLUMN successor_hash TEXT;

-- Key rotation: a key added by `gatehouse oidc keys rotate` is published at once but signs only
-- from activates_at; a key replaced as signer stays published until retires_at (every token it
-- signed has expired by then), and is deleted after.
ALTER TABLE oidc_signing_keys ADD COLUMN activates_at BIGINT;
ALTER TABLE oidc_signing_keys ADD COLUMN retires_at BIGINT;

-- Every token insert paid for this index; the purge (every few minutes) scans instead.
DROP INDEX oidc_tokens_expires;
