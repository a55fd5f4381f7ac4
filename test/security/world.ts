/**
 * Worlds for the attack suite (test/security): a real gateway on a loopback port with users,
 * rules and a manual clock, shared by every case of a `describe` (started in `beforeAll`, closed
 * in `afterAll`) so that hundreds of attacks stay fast; a recording upstream for proxy mode; and
 * a cookie-keeping client that talks to the gateway's own request listener.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'light-my-request';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/server/gateway.js';
import { configOf, minimalRaw } from '../helpers/config.js';
import { injectListener } from '../helpers/gateway.js';
import { quickDigest } from '../helpers/portal.js';

export interface UserSpec {
  readonly password: string;
  readonly groups: readonly string[];
  readonly email?: string;
  readonly displayname?: string;
  /** The digest to write (default: a quick PBKDF2 digest of `password`). */
  readonly digest?: string;
  readonly disabled?: boolean;
}

/** john (admins, dev), bob (dev), harry (no group): each with an e-mail under the cookie domain. */
export function defaultUsers(domain: string): Record<string, UserSpec> {
  return {
    john: { password: 'john-password', groups: ['admins', 'dev'], email: `john@${domain}`, displayname: 'John Doe' },
    bob: { password: 'bob-password', groups: ['dev'], email: `bob@${domain}`, displayname: 'Bob' },
    harry: { password: 'harry-password', groups: [], email: `harry@${domain}`, displayname: 'Harry' },
  };
}

export interface WorldOptions {
  /** The cookie domain (default `gatehouse.localhost`, where plain http is allowed). */
  readonly domain?: string;
  /** The portal URL (default `http://auth.<domain>`, or `https://…` for a domain outside `.localhost`). */
  readonly portal?: string;
  /** More cookie domains after the first (`{domain, portal_url}`). */
  readonly moreCookies?: readonly Record<string, unknown>[];
  readonly users?: Record<string, UserSpec>;
  /** More keys of `authentication_backend.file` (`password`, `search`…) besides the users file's path. */
  readonly usersFile?: Record<string, unknown>;
  /** `access_control` (default: {@link defaultRules}). */
  readonly rules?: Record<string, unknown>;
  /** Other top-level configuration sections, merged over the defaults. */
  readonly config?: Record<string, unknown>;
  /** Recording upstreams to create, by name: each gets `proxy.upstreams` entry `<name>.<domain>`. */
  readonly upstreams?: readonly string[];
  readonly gateway?: Partial<GatewayOptions>;
  /** The lowest level kept by `logs()` (default `info`: per-request debug lines cost time over thousands of requests). */
  readonly logLevel?: 'debug' | 'info';
}

/** The rules of the suite: portal and `public` bypass, `/admin` for admins only, `secure` two factors. */
export function defaultRules(domain: string): Record<string, unknown> {
  return {
    default_policy: 'deny',
    rules: [
      { domain: [`auth.${domain}`, `public.${domain}`], policy: 'bypass' },
      { domain: `app.${domain}`, resources: ['^/public([/?].*)?$'], policy: 'bypass' },
      { domain: `app.${domain}`, resources: ['^/admin([/?].*)?$'], subject: 'group:admins', policy: 'one_factor' },
      { domain: `app.${domain}`, resources: ['^/admin([/?].*)?$'], policy: 'deny' },
      { domain: `app.${domain}`, policy: 'one_factor' },
      { domain: `secure.${domain}`, policy: 'two_factor' },
      { domain: `deny.${domain}`, policy: 'deny' },
      { domain: `intranet.${domain}`, networks: ['192.0.2.0/24'], policy: 'bypass' },
      { domain: `intranet.${domain}`, policy: 'one_factor' },
      { domain: `*.${domain}`, policy: 'one_factor' },
    ],
  };
}

export interface World {
  readonly gateway: Gateway;
  readonly config: Config;
  readonly clock: ManualClock;
  readonly dir: string;
  readonly domain: string;
  /** `auth.<domain>` */
  readonly portalHost: string;
  /** `http` or `https`, the portal's scheme. */
  readonly scheme: 'http' | 'https';
  readonly port: number;
  readonly users: Record<string, UserSpec>;
  readonly upstreams: Record<string, Upstream>;
  /** The notifier file (identity-check codes, reset links). */
  readonly notifications: string;
  /** Everything logged so far (JSON lines, from `logLevel`). */
  logs(): string;
  /** A client of the portal host (cookie jar, same-origin headers on state-changing requests). */
  client(options?: ClientOptions): Client;
  /** One request through the gateway's request listener (from 127.0.0.1 unless told). */
  inject(options: InjectOptions): ReturnType<typeof injectListener>;
  /** `name=value` of a session of `user`, signed in through the portal once and reused. */
  cookieOf(user: string): Promise<string>;
}

/** Starts a world now; `close` stops the gateway and upstreams and removes the folder. */
export async function openWorld(options: WorldOptions = {}): Promise<{ world: World; close: () => Promise<void> }> {
  const domain = options.domain ?? 'gatehouse.localhost';
  const scheme = options.portal?.startsWith('https:') || (!options.portal && !domain.endsWith('localhost')) ? 'https' : 'http';
  const portalHost = `auth.${domain}`;
  const portal = options.portal ?? `${scheme}://${portalHost}`;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-attack-'));
  const users = options.users ?? defaultUsers(domain);
  const usersFile = join(dir, 'users.yml');
  writeFileSync(usersFile, usersYaml(users));
  const notifications = join(dir, 'notifications.txt');
  const upstreams: Record<string, Upstream> = {};
  const closers: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    for (const name of options.upstreams ?? []) {
      upstreams[name] = await startRecordingUpstream();
      closers.unshift(upstreams[name].close);
    }
    const proxy =
      options.upstreams && options.upstreams.length > 0
        ? { proxy: { upstreams: options.upstreams.map((name) => ({ domain: `${name}.${domain}`, target: upstreams[name]!.url, timeout: '2s' })) } }
        : {};
    const raw = minimalRaw(dir, {
      log: { level: options.logLevel ?? 'info', format: 'json' },
      session: { cookies: [{ domain, portal_url: portal }, ...(options.moreCookies ?? [])] },
      // A cheap configured hash: the dummy digest made at every start costs ~0.1 s instead of ~0.4 s (default argon2id).
      authentication_backend: { file: { path: usersFile, password: { algorithm: 'scrypt', scrypt: { iterations: 10 } }, ...options.usersFile } },
      notifier: { filesystem: { filename: notifications } },
      access_control: options.rules ?? defaultRules(domain),
      ...proxy,
      ...options.config,
    });
    const config = configOf(raw, {}, dir);
    let text = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const signedIn = new Map<string, string>();
    const gateway = await startGateway(config, { logger: pino({ level: options.logLevel ?? 'info' }, sink), appVersion: 'test', clock, ...options.gateway });
    closers.unshift(() => gateway.close());
    const world: World = {
      gateway,
      config,
      clock,
      dir,
      domain,
      portalHost,
      scheme,
      port: Number(new URL(gateway.url).port),
      users,
      upstreams,
      notifications,
      logs: () => text,
      client: (clientOptions) => new Client(world, clientOptions),
      inject: (request) => injectListener(gateway, { remoteAddress: '127.0.0.1', ...request }),
      cookieOf: async (user) => {
        const known = signedIn.get(user);
        if (known) return known;
        const client = world.client();
        const reply = await client.login(user);
        if (reply.status !== 200) throw new Error(`${user} could not sign in: ${reply.status} ${reply.body}`);
        const cookie = `${config.session.cookies[0]!.name}=${client.session}`;
        signedIn.set(user, cookie);
        return cookie;
      },
    };
    return {
      world,
      close: async () => {
        for (const closer of closers) await closer().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const closer of closers) await closer().catch(() => undefined);
    throw error;
  }
}

/**
 * A world shared by the cases of the enclosing `describe`: started before the first, closed after
 * the last. Returns a getter (the world does not exist yet when cases are declared).
 */
export function sharedWorld(options: WorldOptions | (() => WorldOptions | Promise<WorldOptions>) = {}): () => World {
  let opened: Awaited<ReturnType<typeof openWorld>> | undefined;
  beforeAll(async () => {
    opened = await openWorld(typeof options === 'function' ? await options() : options);
  });
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (!opened) throw new Error('the shared world is not started (used outside a case?)');
    return opened.world;
  };
}

function usersYaml(users: Record<string, UserSpec>): string {
  const lines = ['users:'];
  for (const [name, user] of Object.entries(users)) {
    lines.push(`  ${JSON.stringify(name)}:`);
    lines.push(`    displayname: ${JSON.stringify(user.displayname ?? name)}`);
    lines.push(`    password: '${user.digest ?? quickDigest(user.password)}'`);
    if (user.disabled) lines.push('    disabled: true');
    if (user.email) lines.push(`    email: ${JSON.stringify(user.email)}`);
    lines.push(`    groups: ${JSON.stringify(user.groups)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The newest identity-check code in the notifier file. */
export function lastCode(world: World): string {
  const codes = [...readFileSync(world.notifications, 'utf8').matchAll(/one-time code is: (\S+)/g)].map((m) => m[1]!);
  if (codes.length === 0) throw new Error('no code was sent');
  return codes.at(-1)!;
}

export interface ClientOptions {
  /** The Host to send (default the portal host). */
  readonly host?: string;
  /** The peer address (default 127.0.0.1, a trusted proxy by default). */
  readonly remoteAddress?: string;
  /** Headers sent with every request. */
  readonly headers?: Record<string, string>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
  /** The session cookie value this answer set ('' for a removal), or undefined. */
  readonly setSession: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of many shapes
  json(): any;
}

/**
 * A browser stand-in for the portal through the real listener: keeps every cookie it is given
 * (per name), sends the portal's Host, `X-Forwarded-Proto: https` for an https portal (from
 * 127.0.0.1, a trusted proxy), and same-origin `Origin`/`Sec-Fetch-Site` on state-changing requests.
 */
export class Client {
  readonly jar = new Map<string, string>();
  readonly #world: World;
  readonly #options: ClientOptions;

  constructor(world: World, options: ClientOptions = {}) {
    this.#world = world;
    this.#options = options;
  }

  get host(): string {
    return this.#options.host ?? this.#world.portalHost;
  }

  get origin(): string {
    return `${this.#world.scheme}://${this.host}`;
  }

  /** The session cookie's value, or undefined. */
  get session(): string | undefined {
    return this.jar.get(this.#world.config.session.cookies[0]!.name);
  }

  set session(value: string | undefined) {
    const name = this.#world.config.session.cookies[0]!.name;
    if (value === undefined) this.jar.delete(name);
    else this.jar.set(name, value);
  }

  get(url: string, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    return this.send('GET', url, undefined, headers);
  }

  postJson(url: string, body: unknown, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    return this.send('POST', url, JSON.stringify(body), { 'content-type': 'application/json', ...this.sameOrigin(), ...headers });
  }

  postForm(url: string, fields: Record<string, string>, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    return this.send('POST', url, new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...this.sameOrigin(),
      ...headers,
    });
  }

  sendJson(method: 'PUT' | 'DELETE' | 'POST', url: string, body?: unknown, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    return this.send(method, url, body === undefined ? undefined : JSON.stringify(body), {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...this.sameOrigin(),
      ...headers,
    });
  }

  /** `POST /api/firstfactor` with a user's password from the world's users. */
  login(username = 'john', extra: Record<string, unknown> = {}, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    const password = this.#world.users[username]?.password ?? 'not-a-user-password';
    return this.postJson('/api/firstfactor', { username, password, ...extra }, headers);
  }

  sameOrigin(): Record<string, string> {
    return { origin: this.origin, 'sec-fetch-site': 'same-origin' };
  }

  /** Any request; an undefined header value removes a default one. */
  async send(method: string, url: string, payload: string | Buffer | undefined, headers: Record<string, string | undefined> = {}): Promise<Reply> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const all: Record<string, string | undefined> = {
      host: this.host,
      ...(this.#world.scheme === 'https' ? { 'x-forwarded-proto': 'https' } : {}),
      ...(cookie ? { cookie } : {}),
      ...this.#options.headers,
      ...headers,
    };
    const response = await this.#world.inject({
      method: method as 'GET',
      url,
      payload,
      remoteAddress: this.#options.remoteAddress ?? '127.0.0.1',
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    });
    const sessionName = this.#world.config.session.cookies[0]!.name;
    let setSession: string | undefined;
    const lines = response.headers['set-cookie'];
    for (const line of Array.isArray(lines) ? lines : lines ? [lines] : []) {
      const [pair] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      const value = pair!.slice(pair!.indexOf('=') + 1);
      if (name === sessionName) setSession = value;
      if (value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: response.statusCode, headers: response.headers, body: response.body, setSession, json: () => response.json() };
  }
}

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

export interface Upstream {
  readonly url: string;
  readonly port: number;
  /** Every request Node's (strict) parser read on any connection, in order. */
  readonly seen: Seen[];
  /** Every byte received, per connection, as text: what a more lenient parser would read. */
  readonly raw: string[];
  readonly server: Server;
  close(): Promise<void>;
}

/** An upstream that records every request (parsed and raw) and answers 200 with the path as JSON. */
export async function startRecordingUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const raw: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url }));
    });
  });
  server.on('connection', (socket: Socket) => {
    const index = raw.push('') - 1;
    socket.on('data', (chunk: Buffer) => {
      raw[index] += chunk.toString('latin1');
    });
  });
  // A request Node refuses to parse is recorded as such: the gateway must never send one.
  server.on('clientError', (error: Error, socket: Socket) => {
    seen.push({ method: 'CLIENT-ERROR', url: error.message, headers: {}, rawHeaders: [], body: '' });
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    raw,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Got {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One real HTTP request over a socket to the gateway (from 127.0.0.1), as a client sends it. */
export function sendHttp(
  world: Pick<World, 'port'>,
  host: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: world.port,
        path,
        method: options.method ?? 'GET',
        headers: { host, accept: 'text/html', ...options.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
