-- Gatehouse PostgreSQL schema, version 2: first and second factors (as SQLite's 0002). Never edit
-- a released migration. Times are milliseconds since the Unix epoch (BIGINT).

-- Every authentication attempt (password, TOTP …); feeds regulation (bans).
CREATE TABLE authentication_logs (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time           BIGINT NOT NULL,
  successful     BOOLEAN NOT NULL,
  banned         BOOLEAN NOT NULL DEFAULT FALSE,
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
  id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time     BIGINT NOT NULL,
  expires  BIGINT,
  revoked  BOOLEAN NOT NULL DEFAULT FALSE,
  username TEXT NOT NULL,
  source   TEXT NOT NULL,
  reason   TEXT
);
CREATE INDEX banned_user_lookup ON banned_user (username, revoked, expires);

CREATE TABLE banned_ip (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time    BIGINT NOT NULL,
  expires BIGINT,
  revoked BOOLEAN NOT NULL DEFAULT FALSE,
  ip      TEXT NOT NULL,
  source  TEXT NOT NULL,
  reason  TEXT
);
CREATE INDEX banned_ip_lookup ON banned_ip (ip, revoked, expires);

-- One TOTP key per user. secret is encrypted (AES-256-GCM, AAD 'totp_configurations:secret:<username>');
-- algorithm, digits and period are stored so later configuration changes do not break the key.
CREATE TABLE totp_configurations (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT,
  username     TEXT NOT NULL UNIQUE,
  issuer       TEXT NOT NULL,
  algorithm    TEXT NOT NULL,
  digits       INTEGER NOT NULL,
  period       INTEGER NOT NULL,
  secret       BYTEA NOT NULL
);

-- Time steps already used per user: a code is accepted once (anti-replay).
CREATE TABLE totp_history (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username   TEXT NOT NULL,
  step       BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (username, step)
);
CREATE INDEX totp_history_created_at ON totp_history (created_at);

-- One-time codes sent for identity checks. Only a hash of the code is kept.
CREATE TABLE one_time_code (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username    TEXT NOT NULL,
  intent      TEXT NOT NULL,
  code_hash   BYTEA NOT NULL,
  issued_at   BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  consumed_at BIGINT,
  revoked_at  BIGINT
);
CREATE INDEX one_time_code_lookup ON one_time_code (username, intent, expires_at);
