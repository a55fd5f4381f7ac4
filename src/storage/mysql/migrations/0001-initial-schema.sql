-- Gatehouse MySQL/MariaDB schema, version 1: the same tables as SQLite's and PostgreSQL's 0001.
-- Never edit a released migration: add a new numbered file (with the same number and meaning for
-- every provider). Times are milliseconds since the Unix epoch (BIGINT). Every table is InnoDB
-- (transactions, row locks) in utf8mb4 with a binary collation: text compares exactly, as in
-- PostgreSQL and SQLite ('John' is not 'john'). Hashes and other ASCII-only values are ascii_bin.

-- Identifies the storage encryption key (HMAC of a constant under a key derived from it).
CREATE TABLE encryption (
  name  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  value VARBINARY(255) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Portal sessions. id_hash is the SHA-256 of the session ID; the ID itself is never stored.
CREATE TABLE sessions (
  id_hash    VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  username   VARCHAR(256) NOT NULL DEFAULT '',
  data       MEDIUMTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  INDEX sessions_expires_at (expires_at),
  INDEX sessions_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
