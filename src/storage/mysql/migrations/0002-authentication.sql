-- Gatehouse MySQL/MariaDB schema, version 2: first and second factors (as SQLite's 0002). Never
-- edit a released migration. Times are milliseconds since the Unix epoch (BIGINT). Usernames as
-- typed at a login are kept whole (up to 1024 characters), indexed on their first 255.

-- Every authentication attempt (password, TOTP …); feeds regulation (bans).
CREATE TABLE authentication_logs (
  id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  time           BIGINT NOT NULL,
  successful     BOOLEAN NOT NULL,
  banned         BOOLEAN NOT NULL DEFAULT FALSE,
  username       VARCHAR(1024) NOT NULL,
  auth_type      VARCHAR(64) NOT NULL,
  remote_ip      VARCHAR(255) NOT NULL,
  request_uri    TEXT NOT NULL,
  request_method VARCHAR(64) NOT NULL DEFAULT '',
  INDEX authentication_logs_username (username(255), auth_type, time),
  INDEX authentication_logs_remote_ip (remote_ip, auth_type, time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Bans by username or by client IP. A ban is active while not revoked and not expired.
CREATE TABLE banned_user (
  id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  time     BIGINT NOT NULL,
  expires  BIGINT,
  revoked  BOOLEAN NOT NULL DEFAULT FALSE,
  username VARCHAR(1024) NOT NULL,
  source   VARCHAR(255) NOT NULL,
  reason   TEXT,
  INDEX banned_user_lookup (username(255), revoked, expires)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE banned_ip (
  id      BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  time    BIGINT NOT NULL,
  expires BIGINT,
  revoked BOOLEAN NOT NULL DEFAULT FALSE,
  ip      VARCHAR(255) NOT NULL,
  source  VARCHAR(255) NOT NULL,
  reason  TEXT,
  INDEX banned_ip_lookup (ip, revoked, expires)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One TOTP key per user. secret is encrypted (AES-256-GCM, AAD 'totp_configurations:secret:<username>');
-- algorithm, digits and period are stored so later configuration changes do not break the key.
CREATE TABLE totp_configurations (
  id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT,
  username     VARCHAR(256) NOT NULL,
  issuer       VARCHAR(255) NOT NULL,
  algorithm    VARCHAR(16) NOT NULL,
  digits       INTEGER NOT NULL,
  period       INTEGER NOT NULL,
  secret       BLOB NOT NULL,
  UNIQUE KEY totp_configurations_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Time steps already used per user: a code is accepted once (anti-replay, the unique key).
CREATE TABLE totp_history (
  id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username   VARCHAR(256) NOT NULL,
  step       BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY totp_history_step (username, step),
  INDEX totp_history_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One-time codes sent for identity checks. Only a hash of the code is kept.
CREATE TABLE one_time_code (
  id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username    VARCHAR(256) NOT NULL,
  intent      VARCHAR(64) NOT NULL,
  code_hash   VARBINARY(255) NOT NULL,
  issued_at   BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  consumed_at BIGINT,
  revoked_at  BIGINT,
  INDEX one_time_code_lookup (username, intent, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
