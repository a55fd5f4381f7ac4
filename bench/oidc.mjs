// Authorization-code flows per second (authorize with an existing session → token → userinfo),
// token-endpoint exchanges per second, refresh-token exchanges per second (rotation on every use,
// each worker following its own chain) and introspections per second, Gatehouse next to
// oidc-provider (a certified Node provider) configured equivalently: RS256, PKCE S256,
// client_secret_basic, refresh tokens for `offline_access` granted on the consent page and rotated
// on every use, an in-memory Map adapter (its bundled MemoryAdapter is an LRU of 1000 entries),
// the user already signed in. Both over real HTTP on loopback, same concurrency, same run.
//   node scripts/build.mjs && node bench/oidc.mjs [seconds-per-measure] [concurrency]
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, exportJWK } from 'jose';
import Database from 'better-sqlite3';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import { parseConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/server/gateway.js';

const seconds = Number(process.argv[2] ?? 3);
const concurrency = Number(process.argv[3] ?? 8);
const secret = 'bench-client-secret-0123456789';
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const basic = `Basic ${Buffer.from(`bench:${secret}`).toString('base64')}`;

/** One HTTP request to `port`, with `host` as the Host header. */
function http(port, host, method, path, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { host, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A cookie jar keyed by name (both servers use distinct names per path). */
function jar() {
  const cookies = new Map();
  return {
    take(res) {
      for (const line of [res.headers['set-cookie'] ?? []].flat()) {
        const [pair] = line.split(';');
        const i = pair.indexOf('=');
        cookies.set(pair.slice(0, i), pair.slice(i + 1));
      }
    },
    get header() {
      return [...cookies]
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}=${v}`)
        .join('; ');
    },
  };
}

const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');

function authorizePath(prefix, redirectUri, extra = {}) {
  const q = new URLSearchParams({
    client_id: 'bench',
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state: 'state-st',
    nonce: 'nonce-nn',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${prefix}?${q}`;
}

/** Runs `once` in `concurrency` loops for `seconds`; returns operations per second. */
async function rate(once) {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once();
        count++;
      }
    }),
  );
  return count / seconds;
}

async function gatehouse() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const salt = randomBytes(16);
  const digest = `$pbkdf2-sha512$1000$${salt.toString('base64').replace(/=+$/, '').replace(/\+/g, '.')}$${pbkdf2Sync('password', salt, 1000, 64, 'sha512').toString('base64').replace(/=+$/, '').replace(/\+/g, '.')}`;
  writeFileSync(
    join(dir, 'users.yml'),
    `users:\n  john:\n    displayname: John\n    password: '${digest}'\n    email: john@gatehouse.localhost\n    groups: [dev]\n`,
  );
  const redirectUri = 'http://app.gatehouse.localhost/callback';
  const { config } = parseConfig(
    {
      server: { address: 'tcp://127.0.0.1:0' },
      log: { level: 'error' },
      session: { cookies: [{ domain: 'gatehouse.localhost', portal_url: 'http://auth.gatehouse.localhost' }] },
      storage: { encryption_key: 'bench-storage-key-0123456789', local: { path: join(dir, 'db.sqlite3') } },
      authentication_backend: { file: { path: join(dir, 'users.yml') } },
      access_control: { default_policy: 'one_factor' },
      identity_providers: {
        oidc: {
          hmac_secret: 'bench-hmac-secret-0123456789',
          clients: [
            { client_id: 'bench', client_secret: secret, authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [redirectUri] },
            {
              client_id: 'offline',
              client_secret: secret,
              authorization_policy: 'one_factor',
              consent_mode: 'pre-configured',
              redirect_uris: [redirectUri],
              grant_types: ['authorization_code', 'refresh_token'],
              scopes: ['openid', 'profile', 'email', 'offline_access'],
            },
          ],
        },
      },
    },
    { env: {}, baseDir: dir },
  );
  const gateway = await startGateway(config, { logger: pino({ level: 'silent' }), appVersion: 'bench' });
  const port = Number(new URL(gateway.url).port);
  const host = 'auth.gatehouse.localhost';
  const cookies = jar();
  const login = await http(port, host, 'POST', '/api/firstfactor', {
    body: JSON.stringify({ username: 'john', password: 'password' }),
    headers: { 'content-type': 'application/json', origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
  });
  cookies.take(login);
  const path = authorizePath('/api/oidc/authorization', redirectUri);
  const code = async () => {
    const res = await http(port, host, 'GET', path, { headers: { cookie: cookies.header } });
    return new URL(res.headers.location).searchParams.get('code');
  };
  const token = async (c) => {
    const res = await http(port, host, 'POST', '/api/oidc/token', {
      body: new URLSearchParams({ grant_type: 'authorization_code', code: c, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
      headers: { authorization: basic },
    });
    if (res.status !== 200) throw new Error(`gatehouse token: ${res.status} ${res.body}`);
    return JSON.parse(res.body);
  };
  const userinfo = async (t) => {
    const res = await http(port, host, 'GET', '/api/oidc/userinfo', { headers: { authorization: `Bearer ${t.access_token}` } });
    if (res.status !== 200) throw new Error(`gatehouse userinfo: ${res.status}`);
  };
  // The offline client: its consent (with offline_access) is given once on the consent page and remembered.
  const offlinePath = authorizePath('/api/oidc/authorization', redirectUri, { client_id: 'offline', scope: 'openid profile email offline_access' });
  const offlineBasic = `Basic ${Buffer.from(`offline:${secret}`).toString('base64')}`;
  const same = { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' };
  const offlineToken = async () => {
    let res = await http(port, host, 'GET', offlinePath, { headers: { cookie: cookies.header } });
    let location = new URL(res.headers.location, `http://${host}`);
    if (location.pathname === '/consent') {
      const form = new URLSearchParams({ flow_id: location.searchParams.get('flow_id'), decision: 'accept', remember: 'true' }).toString();
      res = await http(port, host, 'POST', '/consent', { body: form, headers: { cookie: cookies.header, ...same } });
      res = await http(port, host, 'GET', new URL(res.headers.location, `http://${host}`).pathname + new URL(res.headers.location, `http://${host}`).search, {
        headers: { cookie: cookies.header },
      });
      location = new URL(res.headers.location, `http://${host}`);
    }
    const c = location.searchParams.get('code');
    const r = await http(port, host, 'POST', '/api/oidc/token', {
      body: new URLSearchParams({ grant_type: 'authorization_code', code: c, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
      headers: { authorization: offlineBasic },
    });
    const t = JSON.parse(r.body);
    if (!t.refresh_token) throw new Error(`gatehouse: no refresh token: ${r.body}`);
    return t;
  };
  const refresh = async (rt) => {
    const r = await http(port, host, 'POST', '/api/oidc/token', {
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }).toString(),
      headers: { authorization: offlineBasic },
    });
    if (r.status !== 200) throw new Error(`gatehouse refresh: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const introspect = async (at) => {
    const r = await http(port, host, 'POST', '/api/oidc/introspection', {
      body: new URLSearchParams({ token: at }).toString(),
      headers: { authorization: offlineBasic },
    });
    if (r.status !== 200 || !JSON.parse(r.body).active) throw new Error(`gatehouse introspection: ${r.status} ${r.body}`);
  };
  return {
    name: 'Gatehouse',
    code,
    token,
    userinfo,
    offlineToken,
    refresh,
    introspect,
    close: async () => {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** oidc-provider's adapter interface over plain Maps (no LRU eviction). */
const stores = new Map();
class MapAdapter {
  constructor(name) {
    this.name = name;
    this.items = stores.get(name) ?? new Map();
    stores.set(name, this.items);
  }
  async upsert(id, payload) {
    this.items.set(id, payload);
  }
  async find(id) {
    return this.items.get(id);
  }
  async findByUserCode() {
    return undefined;
  }
  async findByUid(uid) {
    return [...this.items.values()].find((p) => p.uid === uid);
  }
  async consume(id) {
    const p = this.items.get(id);
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    this.items.delete(id);
  }
  async revokeByGrantId(grantId) {
    for (const [k, v] of this.items) if (v.grantId === grantId) this.items.delete(k);
  }
}

/**
 * oidc-provider's adapter over SQLite (better-sqlite3, WAL, synchronous=NORMAL: Gatehouse's own
 * settings), one row per artifact: the same durability as Gatehouse, for a like-for-like row.
 */
function sqliteAdapter(db) {
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
    CREATE TABLE IF NOT EXISTS artifacts (kind TEXT, id TEXT, payload TEXT, grant_id TEXT, uid TEXT, expires_at INTEGER, PRIMARY KEY (kind, id));
    CREATE INDEX IF NOT EXISTS artifacts_grant ON artifacts (grant_id); CREATE INDEX IF NOT EXISTS artifacts_uid ON artifacts (uid);`);
  const upsert = db.prepare('INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?, ?, ?)');
  const find = db.prepare('SELECT payload FROM artifacts WHERE kind = ? AND id = ?');
  const byUid = db.prepare('SELECT payload FROM artifacts WHERE kind = ? AND uid = ?');
  const destroy = db.prepare('DELETE FROM artifacts WHERE kind = ? AND id = ?');
  const revoke = db.prepare('DELETE FROM artifacts WHERE grant_id = ?');
  const parse = (row) => (row ? JSON.parse(row.payload) : undefined);
  return class SqliteAdapter {
    constructor(name) {
      this.name = name;
    }
    async upsert(id, payload, expiresIn) {
      upsert.run(this.name, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, Date.now() + expiresIn * 1000);
    }
    async find(id) {
      return parse(find.get(this.name, id));
    }
    async findByUserCode() {
      return undefined;
    }
    async findByUid(uid) {
      return parse(byUid.get(this.name, uid));
    }
    async consume(id) {
      const p = parse(find.get(this.name, id));
      if (p) upsert.run(this.name, id, JSON.stringify({ ...p, consumed: Math.floor(Date.now() / 1000) }), p.grantId ?? null, p.uid ?? null, 0);
    }
    async destroy(id) {
      destroy.run(this.name, id);
    }
    async revokeByGrantId(grantId) {
      revoke.run(grantId);
    }
  };
}

async function oidcProvider({ storage = 'memory' } = {}) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const server = (await import('node:http')).createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const host = `127.0.0.1:${port}`;
  const redirectUri = 'http://127.0.0.1/callback';
  const dir = storage === 'sqlite' ? mkdtempSync(join(tmpdir(), 'oidc-provider-bench-')) : undefined;
  const db = dir ? new Database(join(dir, 'provider.sqlite3')) : undefined;
  const provider = new Provider(`http://${host}`, {
    adapter: db ? sqliteAdapter(db) : MapAdapter,
    jwks: { keys: [jwk] },
    features: { introspection: { enabled: true }, revocation: { enabled: true } },
    // Rotate on every use, as Gatehouse does (its default rotates confidential clients' tokens only late in their life).
    rotateRefreshToken: () => true,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, name: 'John', email: 'john@gatehouse.localhost', email_verified: true }),
    }),
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    pkce: { required: () => true },
    cookies: { keys: ['bench-cookie-key-0123456789'] },
  });
  server.on('request', provider.callback());
  const cookies = jar();
  const path = authorizePath('/auth', redirectUri);
  /** Follows the dev interactions (sign in, consent) as a browser would; returns the code. */
  const interact = async (authorize) => {
    let res = await http(port, host, 'GET', authorize, { headers: { cookie: cookies.header } });
    for (let step = 0; step < 10 && res.status >= 300 && res.status < 400; step++) {
      cookies.take(res);
      const next = new URL(res.headers.location, `http://${host}`);
      if (next.pathname === '/callback') return next.searchParams.get('code');
      if (next.pathname.startsWith('/interaction/')) {
        const page = await http(port, host, 'GET', next.pathname, { headers: { cookie: cookies.header } });
        cookies.take(page);
        const prompt = page.body.includes('name="login"') ? 'prompt=login&login=john&password=x' : 'prompt=consent';
        res = await http(port, host, 'POST', next.pathname, { body: prompt, headers: { cookie: cookies.header } });
      } else {
        res = await http(port, host, 'GET', next.pathname + next.search, { headers: { cookie: cookies.header } });
      }
    }
    return undefined;
  };
  await interact(path);
  const code = async () => {
    const r = await http(port, host, 'GET', path, { headers: { cookie: cookies.header } });
    const c = r.headers.location && new URL(r.headers.location, `http://${host}`).searchParams.get('code');
    if (!c) throw new Error(`oidc-provider authorize: ${r.status} ${r.headers.location}`);
    return c;
  };
  const token = async (c) => {
    const r = await http(port, host, 'POST', '/token', {
      body: new URLSearchParams({ grant_type: 'authorization_code', code: c, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
      headers: { authorization: basic },
    });
    if (r.status !== 200) throw new Error(`oidc-provider token: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const userinfo = async (t) => {
    const r = await http(port, host, 'GET', '/me', { headers: { authorization: `Bearer ${t.access_token}` } });
    if (r.status !== 200) throw new Error(`oidc-provider userinfo: ${r.status}`);
  };
  // offline_access is granted only with prompt=consent (OIDC Core §11): one consent interaction per chain.
  const offlinePath = authorizePath('/auth', redirectUri, { scope: 'openid profile email offline_access', prompt: 'consent' });
  const offlineToken = async () => {
    const c = await interact(offlinePath);
    const t = await token(c);
    if (!t.refresh_token) throw new Error('oidc-provider: no refresh token');
    return t;
  };
  const refresh = async (rt) => {
    const r = await http(port, host, 'POST', '/token', {
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }).toString(),
      headers: { authorization: basic },
    });
    if (r.status !== 200) throw new Error(`oidc-provider refresh: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const introspect = async (at) => {
    const r = await http(port, host, 'POST', '/token/introspection', {
      body: new URLSearchParams({ token: at }).toString(),
      headers: { authorization: basic },
    });
    if (r.status !== 200 || !JSON.parse(r.body).active) throw new Error(`oidc-provider introspection: ${r.status} ${r.body}`);
  };
  return {
    name: db ? 'oidc-provider, SQLite adapter' : 'oidc-provider, in-memory adapter',
    code,
    token,
    userinfo,
    offlineToken,
    refresh,
    introspect,
    close: async () => {
      server.close();
      db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(subject) {
  const flow = async () => subject.userinfo(await subject.token(await subject.code()));
  for (let i = 0; i < 50; i++) await flow(); // warm up
  const flows = await rate(flow);
  const codes = [];
  const needed = Math.ceil(flows * seconds * 3) + 1000;
  for (let i = 0; i < needed; i += concurrency) codes.push(...(await Promise.all(Array.from({ length: concurrency }, () => subject.code()))));
  const exchanges = await rate(async () => subject.token(codes.pop()));
  // One refresh-token chain per worker: each refresh rotates, and the next uses the new token.
  const chains = [];
  for (let i = 0; i < concurrency; i++) chains.push(await subject.offlineToken());
  for (const chain of chains) Object.assign(chain, await subject.refresh(chain.refresh_token)); // warm up
  const refreshes = await rateEach(async (worker) => {
    const chain = chains[worker];
    Object.assign(chain, await subject.refresh(chain.refresh_token));
  });
  const introspections = await rateEach(async (worker) => subject.introspect(chains[worker].access_token));
  return { flows, exchanges, refreshes, introspections };
}

/** Like `rate`, each loop told its worker index. */
async function rateEach(once) {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        await once(worker);
        count++;
      }
    }),
  );
  return count / seconds;
}

const results = [];
// ONLY=gatehouse (or oidc-provider) measures one side, e.g. under --cpu-prof.
const only = process.env.ONLY;
const subjects = [gatehouse, () => oidcProvider({ storage: 'memory' }), () => oidcProvider({ storage: 'sqlite' })];
for (const make of subjects.filter((m) => !only || (only === 'gatehouse') === (m === gatehouse))) {
  const subject = await make();
  try {
    results.push({ name: subject.name, ...(await measure(subject)) });
  } finally {
    await subject.close();
  }
}
const [g, ...others] = results;
console.log(`node ${process.version}, ${seconds} s per measure, concurrency ${concurrency}\n`);
console.log('| provider | full code flows/s | token exchanges/s | refresh-token exchanges/s | introspections/s |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results)
  console.log(`| ${r.name} | ${r.flows.toFixed(0)} | ${r.exchanges.toFixed(0)} | ${r.refreshes.toFixed(0)} | ${r.introspections.toFixed(0)} |`);
for (const o of others) {
  const ratio = (k) => (g[k] / o[k]).toFixed(2);
  console.log(`| ratio Gatehouse / ${o.name} | ${ratio('flows')} | ${ratio('exchanges')} | ${ratio('refreshes')} | ${ratio('introspections')} |`);
}
agent.destroy();
