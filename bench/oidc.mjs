// Authorization-code flows per second (authorize with an existing session → token → userinfo)
// and token-endpoint exchanges per second, Gatehouse next to oidc-provider (a certified Node
// provider) configured equivalently: RS256, PKCE S256, client_secret_basic, an in-memory Map
// adapter (its bundled MemoryAdapter is an LRU of 1000 entries), the user already signed in and
// consent given. Both over real HTTP on loopback, same concurrency, same run.
//   node scripts/build.mjs && node bench/oidc.mjs [seconds-per-measure] [concurrency]
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, exportJWK } from 'jose';
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

function authorizePath(prefix, redirectUri) {
  const q = new URLSearchParams({
    client_id: 'bench',
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state: 'st',
    nonce: 'nn',
    code_challenge: challenge,
    code_challenge_method: 'S256',
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
          clients: [{ client_id: 'bench', client_secret: secret, authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [redirectUri] }],
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
  return {
    name: 'Gatehouse',
    code,
    token,
    userinfo,
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

async function oidcProvider() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const server = (await import('node:http')).createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const host = `127.0.0.1:${port}`;
  const redirectUri = 'http://127.0.0.1/callback';
  const provider = new Provider(`http://${host}`, {
    adapter: MapAdapter,
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        redirect_uris: [redirectUri],
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
  // Sign in and consent once through the dev interactions, as a browser would.
  let res = await http(port, host, 'GET', path, { headers: { cookie: cookies.header } });
  for (let step = 0; step < 10 && res.status >= 300 && res.status < 400; step++) {
    cookies.take(res);
    const next = new URL(res.headers.location, `http://${host}`);
    if (next.pathname === '/callback') break;
    if (next.pathname.startsWith('/interaction/')) {
      const page = await http(port, host, 'GET', next.pathname, { headers: { cookie: cookies.header } });
      cookies.take(page);
      const prompt = page.body.includes('name="login"') ? 'prompt=login&login=john&password=x' : 'prompt=consent';
      res = await http(port, host, 'POST', next.pathname, { body: prompt, headers: { cookie: cookies.header } });
    } else {
      res = await http(port, host, 'GET', next.pathname + next.search, { headers: { cookie: cookies.header } });
    }
  }
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
  return { name: 'oidc-provider', code, token, userinfo, close: async () => server.close() };
}

async function measure(subject) {
  const flow = async () => subject.userinfo(await subject.token(await subject.code()));
  for (let i = 0; i < 50; i++) await flow(); // warm up
  const flows = await rate(flow);
  const codes = [];
  const needed = Math.ceil(flows * seconds * 3) + 1000;
  for (let i = 0; i < needed; i += concurrency) codes.push(...(await Promise.all(Array.from({ length: concurrency }, () => subject.code()))));
  const exchanges = await rate(async () => subject.token(codes.pop()));
  return { flows, exchanges };
}

const results = [];
for (const make of [gatehouse, oidcProvider]) {
  const subject = await make();
  try {
    results.push({ name: subject.name, ...(await measure(subject)) });
  } finally {
    await subject.close();
  }
}
const [g, o] = results;
console.log(`node ${process.version}, ${seconds} s per measure, concurrency ${concurrency}\n`);
console.log('| provider | full code flows/s | token exchanges/s |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.flows.toFixed(0)} | ${r.exchanges.toFixed(0)} |`);
console.log(`| ratio Gatehouse / oidc-provider | ${(g.flows / o.flows).toFixed(2)} | ${(g.exchanges / o.exchanges).toFixed(2)} |`);
agent.destroy();
