import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOTP } from 'otpauth';
import { toAb64 } from '../../src/auth/password/encoding.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Gateway, GatewayOptions } from '../../src/server/gateway.js';
import { configOf, tempDir } from './config.js';
import { startTestGateway, injectListener } from './gateway.js';

/** A quick PBKDF2 digest for tests (real format, few iterations). */
export function quickDigest(password: string): string {
  const salt = randomBytes(16);
  return `$pbkdf2-sha256$1000$${toAb64(salt)}$${toAb64(pbkdf2Sync(password, salt, 1000, 32, 'sha256'))}`;
}

export const portalHost = 'auth.gatehouse.localhost';
export const portalOrigin = `http://${portalHost}`;

/** A portal test world: users john (admins, dev; e-mail), bob (no e-mail), a notifier file, a manual clock. */
export async function startPortal(
  overrides: Record<string, unknown> = {},
  options: { search?: Record<string, boolean>; port?: number; logger?: GatewayOptions['logger'] } = {},
) {
  const dir = tempDir();
  const usersFile = join(dir, 'users.yml');
  writeFileSync(
    usersFile,
    [
      'users:',
      '  john:',
      '    displayname: "John <Doe>"',
      `    password: '${quickDigest('password')}'`,
      '    email: john.doe@gatehouse.localhost',
      '    groups: [admins, dev]',
      '  bob:',
      '    displayname: Bob',
      `    password: '${quickDigest('bobpassword')}'`,
      '    groups: []',
    ].join('\n'),
  );
  const notifications = join(dir, 'notifications.txt');
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const config = configOf(
    {
      server: { address: `tcp://127.0.0.1:${options.port ?? 0}` },
      log: { level: 'warn', format: 'json' },
      session: {
        cookies: [
          {
            domain: 'gatehouse.localhost',
            // A browser test reaches the portal on its real port: portal_url names it.
            portal_url: options.port === undefined ? portalOrigin : `${portalOrigin}:${options.port}`,
            default_redirection_url: 'http://home.gatehouse.localhost',
          },
        ],
      },
      storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(dir, 'db.sqlite3') } },
      authentication_backend: { file: { path: usersFile, ...(options.search ? { search: options.search } : {}) } },
      notifier: { filesystem: { filename: notifications } },
      access_control: {
        default_policy: 'deny',
        rules: [
          { domain: portalHost, policy: 'bypass' },
          { domain: 'app.gatehouse.localhost', policy: 'one_factor' },
          { domain: 'secure.gatehouse.localhost', policy: 'two_factor' },
        ],
      },
      portal: { title: 'Test Gate' },
      ...overrides,
    },
    {},
    dir,
  );
  const gateway = await startTestGateway(config, { clock, ...(options.logger ? { logger: options.logger } : {}) });
  return { gateway, clock, dir, notifications, config };
}

/** The newest identity-check code in the notifier file. */
export function lastCode(notifications: string): string {
  const text = existsSync(notifications) ? readFileSync(notifications, 'utf8') : '';
  const codes = [...text.matchAll(/one-time code is: (\S+)/g)].map((m) => m[1]!);
  if (codes.length === 0) throw new Error('no code was sent');
  return codes.at(-1)!;
}

/** The TOTP code for `secret` at the manual clock's time. */
export function totpCode(secret: string, clock: ManualClock): string {
  return new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: clock.now() });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of many shapes
  json: () => any;
}

/**
 * A browser-like client of the portal through fastify's inject: keeps the session cookie,
 * sends the portal's Host, and same-origin headers on POST unless told otherwise.
 */
export class PortalClient {
  cookie: string | undefined;

  constructor(
    private readonly gateway: Gateway,
    private readonly host = portalHost,
  ) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.#send('GET', url, undefined, headers);
  }

  /** POST JSON, as the API's scripts do. */
  async postJson(url: string, body: unknown, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    return this.#send('POST', url, JSON.stringify(body), {
      'content-type': 'application/json',
      origin: `http://${this.host}`,
      'sec-fetch-site': 'same-origin',
      ...headers,
    });
  }

  /** POST a form, as a browser without JavaScript does. */
  async postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    return this.#send('POST', url, new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      origin: `http://${this.host}`,
      'sec-fetch-site': 'same-origin',
      ...headers,
    });
  }

  /** Any method with a JSON body (PUT, DELETE…), same-origin as the portal's script sends it. */
  async sendJson(method: 'PUT' | 'DELETE' | 'POST', url: string, body?: unknown): Promise<Reply> {
    return this.#send(method, url, body === undefined ? undefined : JSON.stringify(body), {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      origin: `http://${this.host}`,
      'sec-fetch-site': 'same-origin',
    });
  }

  async login(username = 'john', password = 'password', extra: Record<string, unknown> = {}): Promise<Reply> {
    return this.postJson('/api/firstfactor', { username, password, ...extra });
  }

  async #send(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload: string | undefined,
    headers: Record<string, string | undefined>,
  ): Promise<Reply> {
    const all = { host: this.host, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers };
    const response = await injectListener(this.gateway, {
      method,
      url,
      payload,
      // An undefined value removes a default header.
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = line.split(';');
      const value = pair!.slice(pair!.indexOf('=') + 1);
      this.cookie = value === '' ? undefined : pair;
    }
    return { status: response.statusCode, headers: response.headers, body: response.body, json: () => response.json() };
  }
}
