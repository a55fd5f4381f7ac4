import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { capturing, logDir, plantedSentinel, workerLogFile } from '../setup/log-files.js';
import { leakIn } from '../setup/log-scan.js';

/**
 * The log leak scan (ASVS 7.1.1: no credentials or session tokens in logs). Every line the suite
 * logs is collected (test/setup/log-capture.ts) and scanned when the run ends
 * (test/setup/global-log-scan.ts); this file checks the scan's rules, and plants one line the
 * end-of-run scan must find in the collected files.
 */
describe('the log leak scan', () => {
  const b64 = () => randomBytes(32).toString('base64url');
  it.each([
    ['a session cookie', `{"req":{"headers":{"cookie":"theme=dark; gatehouse_session=${b64()}"}}}`],
    ['an access token in JSON', `{"access_token":"${b64()}","token_type":"Bearer"}`],
    ['an authorization code in a URL', `{"location":"http://app/callback?code=${b64()}&state=x"}`],
    ['a refresh token in a form body', `refresh_token=${b64()}&grant_type=refresh_token`],
    ['a JWT', `{"idToken":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqb2huIn0.c2ln"}`],
    ['a Bearer header', `{"authorization":"Bearer ${b64()}"}`],
    ['Basic credentials', `{"authorization":"Basic ${Buffer.from('john:password').toString('base64')}"}`],
    ['a TOTP URI', '{"uri":"otpauth://totp/Gatehouse:john?secret=JBSWY3DPEHPK3PXP"}'],
    ['a TOTP secret', '{"secret":"JBSWY3DPEHPK3PXPJBSWY3DP"}'],
    ['a password field', '{"body":{"username":"john","password":"hunter2"}}'],
    ['the test Redis password', '{"redis":"redis://default:redis-password@127.0.0.1:6379"}'],
    ['the test client secret', 'client_secret_basic with confidential-client-secret-0123456789'],
    ["bob's password", 'login bob/bobpassword'],
    ['a password digest', '{"digest":"$argon2id$v=19$m=65536,t=3,p=4$abc$def"}'],
    ['a session ID', `{"sessionId":"${b64()}"}`],
  ])('finds %s', (_what, line) => {
    expect(leakIn(line)).toBeDefined();
  });

  it.each([
    [
      'an audit line with the short session hash',
      '{"audit":"session_ended","username":"john","reason":"logout","session":"3f9a0c1d2e4b","msg":"session ended"}',
    ],
    ['an error code', '{"code":"GH_SESSION_STORE_UNAVAILABLE","msg":"OAuth error: a store is unavailable"}'],
    ['a challenge', '{"challenge":"Basic realm=\\"Authorization Required\\""}'],
    ['a redacted header', '{"req":{"headers":{"cookie":"[redacted]","authorization":"[redacted]"}}}'],
    ['the word password in a message', '{"msg":"first factor failed","cause":"wrong username or password"}'],
    ['the audit line of a password change', '{"audit":"password","action":"change","outcome":"success","username":"john","proof":"password"}'],
    ['a URL with a port', '{"url":"http://127.0.0.1:9091/api/health","redis":"127.0.0.1:6379"}'],
    ['an attacker’s URL with user info, refused', '{"reason":"the portal URL override \'http://localhost:8090%25@evil.com\' is not an https URL"}'],
    ['a token type', '{"token_type_hint":"refresh_token","msg":"revocation"}'],
  ])('passes %s', (_what, line) => {
    expect(leakIn(line)).toBeUndefined();
  });

  it.runIf(capturing)('collects the lines of a silent logger: the planted line reaches this worker’s file (the run’s end checks the scan finds it)', () => {
    const planted = b64();
    pino({ level: 'silent' }).info({ leakSelfTest: true, access_token: planted }, 'a planted secret the end-of-run scan must report');
    const collected = readFileSync(workerLogFile(), 'utf8').split('\n');
    const line = collected.find((l) => l.includes(planted));
    expect(line).toBeDefined();
    expect(leakIn(line!)).toBe('a token, code or client secret value');
    writeFileSync(join(logDir, plantedSentinel), 'the self-test planted a line\n');
  });
});
