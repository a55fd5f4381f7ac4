-- Gatehouse PostgreSQL schema, version 1: the same tables as SQLite's 0001. Never edit a released
-- migration: add a new numbered file (with the same number and meaning for every provider).
-- Times are milliseconds since the Unix epoch (BIGINT).

-- Identifies the storage encryption key (HMAC of a constant under a key derived from it).
CREATE TABLE encryption (
  name  TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

-- Portal sessions. id_hash is the SHA-256 of the session ID; the ID itself is never stored.
-- data is the session's JSON, kept as written (TEXT, not JSONB, so it reads back unchanged).
CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  username   TEXT NOT NULL DEFAULT '',
  data       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_username ON sessions (username) WHERE username <> '';
