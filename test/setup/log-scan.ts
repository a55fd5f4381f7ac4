import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What must never appear in a log line: the secrets the test fixtures use, and the shapes of
 * secrets Gatehouse makes (session IDs in cookies, tokens and codes, JWTs, TOTP secrets,
 * credentials in headers, password digests). Each rule names what it found.
 */
export const fixtureSecrets: readonly string[] = [
  'bobpassword',
  'carolpassword',
  'correct horse battery',
  'a new passphrase for john',
  'new-secret-1',
  'new-secret-2',
  'long-enough-1',
  'bob-password',
  'not-his-password',
  'wrong-basic-password',
  'sentinel-secret',
  'sentinel-password',
  'redis-password',
  'confidential-client-secret-0123456789',
  'a-very-long-test-encryption-key',
  'a-very-long-hmac-secret-for-tests',
  'bench-storage-key-0123456789',
];

const token = '[A-Za-z0-9._~+/=-]{20,}';
const rules: readonly (readonly [what: string, pattern: RegExp, accept?: (match: RegExpExecArray) => boolean])[] = [
  ['a session cookie value', /\b(?:gatehouse|authelia)_session=(?!\[redacted\]|;|"|\s|$)/],
  ['a JWT (ID, access or logout token)', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./],
  [
    'a token, code or client secret value',
    new RegExp(
      `\\b(?:access_token|refresh_token|id_token|logout_token|client_secret|client_assertion|code_verifier|code|token|flow_id)(?:\\\\?"|')?\\s*[:=]\\s*(?:\\\\?"|')?(${token})`,
    ),
    // Error codes (GH_…, ERR_…) are upper case: a random token has lower case letters and digits.
    (m) => /[a-z]/.test(m[1]!) && /[0-9]/.test(m[1]!),
  ],
  ['credentials of an Authorization header', /\b(?:Basic|Bearer) [A-Za-z0-9+/=._~-]{12,}/],
  ['a TOTP key URI', /otpauth:\/\//],
  ['a TOTP secret', /\bsecret(?:\\?"|')?\s*[:=]\s*(?:\\?"|')?[A-Z2-7]{16,}/],
  ['a password digest', /\$argon2(?:id|i|d)\$v=|\$pbkdf2-sha\d+\$|\$[56]\$rounds=|\$2[aby]\$\d\d\$|\$scrypt\$/],
  ['a password field with a value', /"(?:password|currentPassword|new_?[pP]assword|confirmation)"\s*:\s*"(?!\[redacted\])[^"]+"/],
  ['a session ID', /"(?:sessionId|session_id|sid)"\s*:\s*"[A-Za-z0-9_-]{16,}"|"session"\s*:\s*"[A-Za-z0-9_-]{13,}"/],
];

/** Why `line` leaks a secret, or undefined when it does not. */
export function leakIn(line: string): string | undefined {
  for (const secret of fixtureSecrets) if (line.includes(secret)) return `the test secret '${secret}'`;
  for (const [what, pattern, accept] of rules) {
    const match = pattern.exec(line);
    if (match && (accept === undefined || accept(match))) return what;
  }
  return undefined;
}

/** One offending line: where it was, why, and the line (cut). */
export interface Leak {
  readonly file: string;
  readonly why: string;
  readonly line: string;
}

/** Scans every collected file of `dir`; `planted` lines (the self-test's) are returned apart. */
export function scanDir(dir: string): { lines: number; leaks: Leak[]; planted: Leak[] } {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  } catch {
    return { lines: 0, leaks: [], planted: [] };
  }
  const leaks: Leak[] = [];
  const planted: Leak[] = [];
  let lines = 0;
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      lines++;
      const why = leakIn(line);
      const isPlanted = line.includes('"leakSelfTest":true');
      if (why === undefined) {
        if (isPlanted) planted.push({ file, why: 'NOT FOUND by the scan', line });
        continue;
      }
      (isPlanted ? planted : leaks).push({ file, why, line: line.length > 400 ? `${line.slice(0, 400)}…` : line });
    }
  }
  return { lines, leaks, planted };
}
