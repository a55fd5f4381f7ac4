import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { toAb64 } from '../../src/auth/password/encoding.js';
import type { Config } from '../../src/config/config.js';
import type { Clock } from '../../src/shared/clock.js';
import type { Gateway } from '../../src/server/gateway.js';
import { AuthLevel } from '../../src/rules/policy.js';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';
import { startTestGateway, injectListener } from '../helpers/gateway.js';

export const password = 'correct horse battery';

/** A `$pbkdf2-sha256$` digest with few iterations: fast logins in tests. */
export function fastDigest(secret: string): string {
  const salt = randomBytes(16);
  return `$pbkdf2-sha256$1000$${toAb64(salt)}$${toAb64(pbkdf2Sync(secret, salt, 1000, 32, 'sha256'))}`;
}

/** john (admins, dev), bob (dev), harry (no group); all with `password`. */
export function writeUsers(dir: string): string {
  const digest = fastDigest(password);
  const file = join(dir, 'users.yml');
  writeFileSync(
    file,
    [
      'users:',
      `  john: {displayname: 'John Doe', password: '${digest}', email: john@example.com, groups: [admins, dev]}`,
      `  bob: {displayname: 'Bob', password: '${digest}', email: bob@example.com, groups: [dev]}`,
      `  harry: {displayname: 'Harry', password: '${digest}', email: harry@example.com, groups: []}`,
    ].join('\n'),
  );
  return file;
}

/** The rules every authz suite runs against (default deny). */
export function demoRules(domain: string): Record<string, unknown> {
  return {
    default_policy: 'deny',
    rules: [
      { domain: `auth.${domain}`, policy: 'bypass' },
      { domain: `public.${domain}`, policy: 'bypass' },
      { domain: `app.${domain}`, resources: ['^/admin([/?].*)?$'], subject: 'group:admins', policy: 'one_factor' },
      { domain: `app.${domain}`, resources: ['^/admin([/?].*)?$'], policy: 'deny' },
      { domain: `app.${domain}`, policy: 'one_factor' },
      { domain: `secure.${domain}`, policy: 'two_factor' },
      { domain: `deny.${domain}`, policy: 'deny' },
      { domain: `intranet.${domain}`, networks: ['192.0.2.0/24'], policy: 'bypass' },
    ],
  };
}

export interface AuthzWorld {
  readonly gateway: Gateway;
  readonly config: Config;
  readonly logs: () => string;
}

/** A gateway for `example.com` (portal https://auth.example.com) with users and demo rules. */
export async function startAuthzGateway(
  overrides: Record<string, unknown> = {},
  domain = 'example.com',
  portal = `https://auth.${domain}`,
  options: { clock?: Clock } = {},
): Promise<AuthzWorld> {
  const dir = tempDir();
  const raw = minimalRaw(dir, {
    log: { level: 'debug', format: 'json' },
    session: { cookies: [{ domain, portal_url: portal }] },
    authentication_backend: { file: { path: writeUsers(dir) } },
    access_control: demoRules(domain),
    ...overrides,
  });
  const config = configOf(raw, {}, dir);
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const gateway = await startTestGateway(config, { logger: pino({ level: 'debug' }, sink), ...options });
  return { gateway, config, logs: () => text };
}

/** Logs `username` in through the real `POST /api/firstfactor`; returns the session cookie value. */
export async function loginFirstFactor(world: AuthzWorld, username: string, domain = 'example.com'): Promise<string> {
  const reply = await injectListener(world.gateway, {
    method: 'POST',
    url: '/api/firstfactor',
    headers: { host: `auth.${domain}`, 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
    payload: { username, password },
  });
  if (reply.statusCode !== 200) throw new Error(`login failed: ${reply.statusCode} ${reply.body}`);
  const cookie = reply.cookies.find((c) => c.name === world.config.session.cookies[0]!.name);
  if (!cookie) throw new Error('no session cookie');
  return cookie.value;
}

/** Raises a logged-in session to two factors, as a TOTP step would (the portal's own tests cover that step). */
export async function raiseToTwoFactor(world: AuthzWorld, id: string): Promise<void> {
  const cookie = world.config.session.cookies[0]!;
  const session = await world.gateway.sessions.load(cookie, id);
  if (!session) throw new Error('no such session');
  session.state.level = AuthLevel.twoFactor;
  session.state.amr = ['pwd', 'otp'];
  await world.gateway.sessions.save(cookie, session);
}

export function cookieHeader(world: AuthzWorld, id: string): string {
  return `${world.config.session.cookies[0]!.name}=${id}`;
}
