-- Gatehouse SQLite schema, version 1. Never edit a released migration: add a new numbered file.

-- Identifies the storage encryption key (HMAC of a constant under a key derived from it).
CREATE TABLE encryption (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

-- Portal sessions. id_hash is the SHA-256 of the session ID; the ID itself is never stored.
CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  username   TEXT NOT NULL DEFAULT '',
  data       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_username ON sessions (username) WHERE username <> '';
