// Single logout: does telling the apps slow the user's sign-out? The latency of `POST /api/logout`
// for a session signed into no app (the baseline, in the same gateway and run) next to a session
// signed into three apps with a back-channel logout URI — one receiver answering at once, two
// that never answer (each request held until the sender's 5 s timeout) — and how long after the
// sign-out the answering receiver has its logout token. Rounds interleave the two kinds.
//   node scripts/build.mjs && node bench/logout.mjs [rounds]
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/server/gateway.js';

const rounds = Number(process.argv[2] ?? 200);
const secret = 'bench-client-secret-0123456789';
const host = 'auth.gatehouse.localhost';
const redirectUri = 'http://app.gatehouse.localhost/callback';
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');

function http(port, method, path, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { host, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A back-channel receiver: `ok` answers 200 and records when each token arrived; `hang` never answers. */
async function receiver(kind) {
  const arrivals = [];
  const held = new Set();
  let waiting;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (kind === 'ok') {
        arrivals.push(performance.now());
        waiting?.();
        res.writeHead(200).end();
      } else held.add(res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/backchannel`,
    arrivals,
    /** Resolves at the next arrival. */
    next: () =>
      new Promise((resolve) => {
        waiting = resolve;
      }),
    close: () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const ok = await receiver('ok');
const hang1 = await receiver('hang');
const hang2 = await receiver('hang');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-logout-'));
const salt = randomBytes(16);
const ab64 = (b) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
writeFileSync(
  join(dir, 'users.yml'),
  `users:\n  john:\n    displayname: John\n    password: '$pbkdf2-sha512$1000$${ab64(salt)}$${ab64(pbkdf2Sync('password', salt, 1000, 64, 'sha512'))}'\n`,
);
const client = (id, uri) => ({
  client_id: id,
  client_secret: secret,
  authorization_policy: 'one_factor',
  consent_mode: 'implicit',
  redirect_uris: [redirectUri],
  backchannel_logout_uri: uri,
});
const { config } = parseConfig(
  {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: process.env.BENCH_LOG ?? 'error' },
    session: { cookies: [{ domain: 'gatehouse.localhost', portal_url: `http://${host}` }] },
    storage: { encryption_key: 'bench-storage-key-0123456789', local: { path: join(dir, 'db.sqlite3') } },
    authentication_backend: { file: { path: join(dir, 'users.yml') } },
    access_control: { default_policy: 'one_factor' },
    identity_providers: {
      oidc: { hmac_secret: 'bench-hmac-secret-0123456789', clients: [client('ok', ok.url), client('hang1', hang1.url), client('hang2', hang2.url)] },
    },
  },
  { env: {}, baseDir: dir },
);
const gateway = await startGateway(config, { logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }), appVersion: 'bench' });
const port = Number(new URL(gateway.url).port);
const same = { origin: `http://${host}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' };

async function signIn() {
  const res = await http(port, 'POST', '/api/firstfactor', { body: JSON.stringify({ username: 'john', password: 'password' }), headers: same });
  return String(res.headers['set-cookie']).split(';')[0];
}

async function signInto(cookie, clientId) {
  const q = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: 'state-st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const res = await http(port, 'GET', `/api/oidc/authorization?${q}`, { headers: { cookie } });
  const code = new URL(res.headers.location).searchParams.get('code');
  const token = await http(port, 'POST', '/api/oidc/token', {
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.body}`);
}

async function logout(cookie) {
  const start = performance.now();
  const res = await http(port, 'POST', '/api/logout', { body: '{}', headers: { ...same, cookie } });
  const end = performance.now();
  if (res.status !== 200) throw new Error(`logout: ${res.status}`);
  return { start, ms: end - start };
}

const baseline = [];
const withApps = [];
const delivery = [];
for (let i = 0; i < rounds + 20; i++) {
  const plain = await signIn();
  const told = await signIn();
  for (const id of ['ok', 'hang1', 'hang2']) await signInto(told, id);
  const a = await logout(plain);
  const before = ok.arrivals.length;
  const arrived = ok.next();
  const b = await logout(told);
  await arrived;
  if (i < 20) continue; // warm-up
  baseline.push(a.ms);
  withApps.push(b.ms);
  delivery.push(ok.arrivals[before] - b.start);
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * 0.95)];
const fmt = (x) => `${x.toFixed(2)} ms`;
console.log(`single logout, ${rounds} rounds (node ${process.version})`);
console.log(`POST /api/logout, no app                        median ${fmt(median(baseline))}  p95 ${fmt(p95(baseline))}`);
console.log(`POST /api/logout, 3 apps (2 receivers hanging)  median ${fmt(median(withApps))}  p95 ${fmt(p95(withApps))}`);
console.log(`ratio (with apps / none)                        median ${(median(withApps) / median(baseline)).toFixed(2)}×`);
console.log(`logout token at the answering receiver, after the sign-out started: median ${fmt(median(delivery))}  p95 ${fmt(p95(delivery))}`);
console.log(`(the hanging receivers hold at most 2 requests each: the sender's per-client limit)`);

await gateway.close();
await Promise.all([ok.close(), hang1.close(), hang2.close()]);
rmSync(dir, { recursive: true, force: true });
agent.destroy();
