-- Gatehouse SQLite schema, version 2: first and second factors. Never edit a released migration.
-- Times are milliseconds since the Unix epoch.

-- Every authentication attempt (password, TOTP …); feeds regulation (bans).
CREATE TABLE authentication_logs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  time           INTEGER NOT NULL,
  successful     INTEGER NOT NULL,
  banned         INTEGER NOT NULL DEFAULT 0,
  username       TEXT NOT NULL,
  auth_type      TEXT NOT NULL,
  remote_ip      TEXT NOT NULL,
  request_uri    TEXT NOT NULL DEFAULT '',
  request_method TEXT NOT NULL DEFAULT ''
);
CREATE INDEX authentication_logs_username ON authentication_logs (username, auth_type, time);
CREATE INDEX authentication_logs_remote_ip ON authentication_logs (remote_ip, auth_type, time);

-- Bans by username or by client IP. A ban is active while not revoked and not expired.
CREATE TABLE banned_user (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  time     INTEGER NOT NULL,
  expires  INTEGER,
  revoked  INTEGER NOT NULL DEFAULT 0,
  username TEXT NOT NULL,
  source   TEXT NOT NULL,
  reason   TEXT
);
CREATE INDEX banned_user_lookup ON banned_user (username, revoked, expires);

CREATE TABLE banned_ip (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  time    INTEGER NOT NULL,
  expires INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0,
  ip      TEXT NOT NULL,
  source  TEXT NOT NULL,
  reason  TEXT
);
CREATE INDEX banned_ip_lookup ON banned_ip (ip, revoked, expires);

-- One TOTP key per user. secret is encrypted (AES-256-GCM, AAD 'totp_configurations:secret:<username>');
-- algorithm, digits and period are stored so later configuration changes do not break the key.
CREATE TABLE totp_configurations (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  username     TEXT NOT NULL UNIQUE,
  issuer       TEXT NOT NULL,
  algorithm    TEXT NOT NULL,
  digits       INTEGER NOT NULL,
  period       INTEGER NOT NULL,
  secret       BLOB NOT NULL
);

-- Time steps already used per user: a code is accepted once (anti-replay).
CREATE TABLE totp_history (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  username   TEXT NOT NULL,
  step       INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (username, step)
);
CREATE INDEX totp_history_created_at ON totp_history (created_at);

-- One-time codes sent for identity checks. Only a hash of the code is kept.
CREATE TABLE one_time_code (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  username    TEXT NOT NULL,
  intent      TEXT NOT NULL,
  code_hash   BLOB NOT NULL,
  issued_at   INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  consumed_at INTEGER,
  revoked_at  INTEGER
);
CREATE INDEX one_time_code_lookup ON one_time_code (username, intent, expires_at);
