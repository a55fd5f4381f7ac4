// Soak (issue 16, item 4): one `gatehouse serve` under a steady mixed load for a bounded time,
// on loopback only, watching for anything that grows.
//   node scripts/build.mjs && node bench/soak.mjs [--minutes 10] [--rates fa=200,proxy=100,login=5,oidc=2] [--nice=N]
// The mix, each kind at a FIXED rate (open loop: requests are started on a schedule, whether or
// not earlier ones have been answered, so a stall shows up as latency instead of slowing the load):
//   fa     forward-auth (Traefik's form) with a signed-in session, per second;
//   proxy  Gatehouse as the reverse proxy in front of a tiny upstream, with the same session;
//   login  a password login (POST /api/firstfactor) and, once answered, its logout;
//   oidc   an OpenID Connect flow: authorize (consent remembered) → code exchange → refresh
//          (rotation) → userinfo, one after the other.
// Latency is counted from the moment a request was due (so the load generator's own delays are
// in it, never hidden; its lag is printed too). Every answer is checked (status, Remote-User,
// the upstream's body, the tokens); anything else is an error, and errors must be 0. Every 30 s
// the gateway's VmRSS (/proc/PID/status) and open descriptors (/proc/PID/fd) are sampled; the
// least-squares slope of each over the run (and after the first minute) says whether they grow.
// Gatehouse and the upstream run on CPU 0 and this load on CPU 1 (taskset) when there are two.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism, loadavg, setPriority, tmpdir } from 'node:os';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, johnLine, waitPort } from './harness.mjs';

const { values: options } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, rates: { type: 'string', default: '' }, nice: { type: 'string', default: '0' } },
});
const minutes = Number(options.minutes);
const niceness = Number(options.nice);
if (!Number.isInteger(niceness) || niceness < -20 || niceness > 19) throw new Error(`--nice must be an integer from -20 to 19 (is '${options.nice}')`);
const rates = { fa: 200, proxy: 100, login: 5, oidc: 2 };
for (const pair of options.rates.split(',').filter(Boolean)) {
  const [kind, value] = pair.split('=');
  if (!(kind in rates) || !(Number(value) > 0)) throw new Error(`--rates: '${pair}' is not KIND=RATE with KIND one of ${Object.keys(rates).join(', ')}`);
  rates[kind] = Number(value);
}
if (!(minutes > 0)) throw new Error(`--minutes must be a positive number (is '${options.minutes}')`);

// The load on CPU 1: run this script again under taskset (the servers get CPU 0 below).
// (Inside, this process sees one CPU: the decision travels in the environment.)
const pinned = process.env.GATEHOUSE_SOAK_PINNED === '1' || (availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0);
if (pinned && process.env.GATEHOUSE_SOAK_PINNED !== '1') {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync('taskset', ['-c', '1', process.execPath, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, GATEHOUSE_SOAK_PINNED: '1' },
  });
  process.exit(run.status ?? 1);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'));
const children = [];
// --nice N: the load and the servers at that scheduling priority (below 0 needs root), to keep
// other users of a shared machine from stalling them.
if (niceness !== 0) setPriority(niceness);
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
/** Starts `cmd` on the servers' CPU; its output (the gateway's log) is kept in memory for the report. */
const onServerCore = (cmd, args) => {
  const child = spawn(pinned ? 'taskset' : cmd, pinned ? ['-c', '0', cmd, ...args] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.log = [];
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (chunk) => child.log.push(chunk));
  children.push(child);
  if (niceness !== 0) setPriority(child.pid, niceness);
  return child;
};

// --- the servers ---------------------------------------------------------------------------------
const [port, upstreamPort] = [await freePort(), await freePort()];
const portal = 'auth.example.localhost';
const site = 'app.example.localhost';
const redirectUri = 'http://rp.example.localhost/callback';
const clientSecret = 'soak-client-secret-0123456789';
writeFileSync(
  join(dir, 'upstream.mjs'),
  `import { createServer } from 'node:http';
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello ' + (req.headers['remote-user'] ?? '-')); }).listen(${upstreamPort}, '127.0.0.1');`,
);
writeFileSync(join(dir, 'users.yml'), `users:\n${johnLine()}\n`);
writeFileSync(
  join(dir, 'config.yml'),
  `server: {address: 'tcp://127.0.0.1:${port}'}
log: {level: warn, format: json}
session:
  expiration: 1d
  inactivity: 1h
  cookies: [{domain: example.localhost, portal_url: 'http://${portal}'}]
storage: {encryption_key: soak-storage-key-0123456789, local: {path: ${dir}/db.sqlite3}}
authentication_backend: {file: {path: ${dir}/users.yml}}
notifier: {filesystem: {filename: ${dir}/notifications.txt}}
access_control:
  default_policy: deny
  rules:
    - {domain: ${portal}, policy: bypass}
    - {domain: ${site}, policy: one_factor}
proxy:
  upstreams: [{domain: ${site}, target: 'http://127.0.0.1:${upstreamPort}'}]
identity_providers:
  oidc:
    hmac_secret: soak-hmac-secret-0123456789
    clients:
      - client_id: soak
        client_secret: ${clientSecret}
        authorization_policy: one_factor
        consent_mode: pre-configured
        redirect_uris: ['${redirectUri}']
        grant_types: [authorization_code, refresh_token]
        scopes: [openid, profile, email, offline_access]
        token_endpoint_auth_method: client_secret_basic
`,
);
const upstream = onServerCore(process.execPath, [join(dir, 'upstream.mjs')]);
// As users run it: the bin's shebang sets V8's young-generation size (bin/gatehouse.js).
const gateway = onServerCore(join(root, 'bin/gatehouse.js'), ['serve', '--config', join(dir, 'config.yml')]);
await Promise.all([waitPort(port), waitPort(upstreamPort)]);
const pid = gateway.pid;
if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'node') throw new Error(`process ${pid} is not the gateway's node`);

// --- one request ---------------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
/** Requests sent again because the gateway had closed their kept-alive connection (see `http`). */
let resent = 0;
/**
 * One request to the gateway; resolves with status, headers and body (rejects on a network error
 * or after 30 s). A request reset on a reused keep-alive connection before any answer is sent once
 * more, as browsers and proxies do: the gateway closes a connection idle for `server.timeouts.idle`
 * (30 s; it says so in `Keep-Alive: timeout=30`, and Node's agent gives up at 29 s), and a stall
 * longer than that margin lets the two cross. Counted in the report, never hidden; any other failure
 * is an error.
 */
function http(method, path, headers = {}, body, again = false) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { host: portal, ...headers }, timeout: 30_000 }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (error) => {
      if (!again && !answered && req.reusedSocket && error.code === 'ECONNRESET') {
        resent++;
        return resolve(http(method, path, headers, body, true));
      }
      reject(new Error(`${error.message}${req.reusedSocket ? ' (on a reused connection)' : ''}`));
    });
    req.end(body);
  });
}
const json = { 'content-type': 'application/json', origin: `http://${portal}`, 'sec-fetch-site': 'same-origin' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = { authorization: `Basic ${Buffer.from(`soak:${clientSecret}`).toString('base64')}` };
const cookieOf = (res) =>
  [res.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('gatehouse_session='))
    ?.split(';')[0];
const expect = (ok, what, res) => {
  if (!ok) throw new Error(`${what}: ${res.status} ${String(res.body).slice(0, 120)}`);
};

async function login() {
  const res = await http('POST', '/api/firstfactor', json, JSON.stringify({ username: 'john', password: 'bench-password' }));
  const cookie = cookieOf(res);
  expect(res.status === 200 && cookie, 'login', res);
  return cookie;
}
async function logout(cookie) {
  const res = await http('POST', '/api/logout', { ...json, cookie }, '{}');
  expect(res.status === 200, 'logout', res);
}
async function forwardAuth(cookie) {
  const res = await http('GET', '/api/authz/forward-auth', {
    cookie,
    'x-forwarded-method': 'GET',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': site,
    'x-forwarded-uri': '/dashboard',
  });
  expect(res.status === 200 && res.headers['remote-user'] === 'john', 'forward-auth', res);
}
async function proxied(cookie) {
  const res = await http('GET', '/dashboard', { host: site, cookie });
  expect(res.status === 200 && res.body === 'hello john', 'proxy', res);
}
/** The authorization request: the code (or, the first time, the consent page remembered for the next ones). */
async function authorize(cookie, flow) {
  const query = new URLSearchParams({
    client_id: 'soak',
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    state: flow.state,
    nonce: flow.state,
    code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let res = await http('GET', `/api/oidc/authorization?${query}`, { cookie });
  let location = new URL(res.headers.location ?? '/', `http://${portal}`);
  if (location.pathname === '/consent') {
    const accept = new URLSearchParams({ flow_id: location.searchParams.get('flow_id'), decision: 'accept', remember: 'true' });
    res = await http('POST', '/consent', { ...form, cookie, origin: `http://${portal}`, 'sec-fetch-site': 'same-origin' }, accept.toString());
    res = await http('GET', res.headers.location, { cookie });
    location = new URL(res.headers.location ?? '/', `http://${portal}`);
  }
  const code = location.searchParams.get('code');
  expect(res.status === 302 && code && location.searchParams.get('state') === flow.state, 'authorize', res);
  return code;
}
async function token(fields) {
  const res = await http('POST', '/api/oidc/token', { ...form, ...basic }, new URLSearchParams(fields).toString());
  const body = res.status === 200 ? JSON.parse(res.body) : {};
  expect(body.access_token && body.refresh_token && body.id_token, `token (${fields.grant_type})`, res);
  return body;
}
async function userinfo(accessToken) {
  const res = await http('GET', '/api/oidc/userinfo', { authorization: `Bearer ${accessToken}` });
  expect(res.status === 200 && JSON.parse(res.body).email === 'john@example.com', 'userinfo', res);
}

// --- set-up: sessions for forward-auth and the proxy, the consent remembered ------------------------
const sessions = [];
for (let i = 0; i < 16; i++) sessions.push(await login());
const newFlow = () => ({ verifier: randomBytes(32).toString('base64url'), state: randomBytes(8).toString('base64url') });
await authorize(sessions[0], newFlow());
await forwardAuth(sessions[0]);
await proxied(sessions[0]);
process.stderr.write(
  `soak: gateway pid ${pid} on ${pinned ? 'CPU 0, load on CPU 1' : 'any CPU (no taskset or one CPU)'}; ${minutes} min at ${JSON.stringify(rates)}\n`,
);

// --- the open-loop schedule ----------------------------------------------------------------------------
const latencies = new Map();
const errors = new Map();
const lag = [];
let inFlight = 0;
/** The entry of `key` in `map`, made first if missing. */
const entryOf = (map, key, make) => {
  if (!map.has(key)) map.set(key, make());
  return map.get(key);
};
const record = (kind, ms) => entryOf(latencies, kind, () => []).push(ms);
const failed = (kind, error) => {
  const entry = entryOf(errors, kind, () => ({ count: 0, first: [] }));
  entry.count++;
  if (entry.first.length < 3) entry.first.push(error.message);
};
/** Runs `step` and records its latency from `since` (when it was due, or when the previous step ended). */
async function timed(kind, since, step) {
  const value = await step();
  record(kind, performance.now() - since);
  return value;
}
const pick = () => sessions[Math.floor(Math.random() * sessions.length)];
const work = {
  fa: (due) => timed('forward-auth', due, () => forwardAuth(pick())),
  proxy: (due) => timed('proxy', due, () => proxied(pick())),
  login: async (due) => {
    const cookie = await timed('login', due, login);
    await timed('logout', performance.now(), () => logout(cookie));
  },
  oidc: async (due) => {
    const flow = newFlow();
    const code = await timed('oidc authorize', due, () => authorize(sessions[0], flow));
    let t = performance.now();
    const first = await timed('oidc code exchange', t, () =>
      token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: flow.verifier }),
    );
    t = performance.now();
    const next = await timed('oidc refresh', t, () => token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }));
    await timed('oidc userinfo', performance.now(), () => userinfo(next.access_token));
    record('oidc flow (all four)', performance.now() - due);
  },
};
const kindOf = { fa: 'forward-auth', proxy: 'proxy', login: 'login', oidc: 'oidc flow (all four)' };

const samples = [];
/** The gateway's VmRSS (MB), open descriptors and CPU time (s) now; logged. */
const sample = (t) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  const rss = mb('VmRSS');
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const done = [...latencies.values()].reduce((n, l) => n + l.length, 0);
  const errs = [...errors.values()].reduce((n, e) => n + e.count, 0);
  process.stderr.write(`  ${(t / 60).toFixed(1)} min: RSS ${rss.toFixed(1)} MB, ${fds} fds, ${done} answers, ${errs} errors, ${inFlight} in flight\n`);
  return { t, rss, anon: mb('RssAnon'), file: mb('RssFile') + mb('RssShmem'), fds, cpu: (Number(stat[11]) + Number(stat[12])) / 100 };
};

/** The gateway's descriptors by what they point at (`socket`, `pipe`, `anon_inode:[eventfd]`, a file's path). */
const fdKinds = () => {
  const kinds = new Map();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/^(socket|pipe):\[\d+\]$/, '$1');
    } catch {
      continue; // closed meanwhile
    }
    kinds.set(target, (kinds.get(target) ?? 0) + 1);
  }
  return kinds;
};
/** Microseconds some task waited for a CPU, machine-wide (PSI), when the kernel reports it. */
const cpuPressure = () => {
  try {
    return Number(/some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1]);
  } catch {
    return undefined;
  }
};
const fdsBefore = fdKinds();
const pressureBefore = cpuPressure();
const start = performance.now();
const end = start + minutes * 60_000;
const next = Object.fromEntries(Object.keys(rates).map((k) => [k, start]));
const launched = Object.fromEntries(Object.keys(rates).map((k) => [k, 0]));
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    for (const kind of Object.keys(rates)) {
      while (next[kind] <= now && next[kind] < end) {
        const due = next[kind];
        lag.push(now - due);
        inFlight++;
        launched[kind]++;
        work[kind](due)
          .catch((error) => failed(kindOf[kind], error))
          .finally(() => inFlight--);
        next[kind] = start + (launched[kind] * 1000) / rates[kind];
      }
    }
    // A sample every 30 s of the schedule, and one at its end.
    if (now >= start + samples.length * 30_000 || (now >= end && samples.at(-1).t < (end - start) / 1000 - 1))
      samples.push(sample((Math.min(now, end) - start) / 1000));
    if (now >= end) return resolve();
    setTimeout(tick, 1);
  };
  tick();
});
const answered = performance.now();
while (inFlight > 0 && performance.now() - answered < 35_000) await new Promise((r) => setTimeout(r, 50));
const pressure = pressureBefore === undefined ? undefined : (cpuPressure() - pressureBefore) / 1000 / (performance.now() - start);
// Idle after the load: the load's connections closed, and 6 s for the upstream connections the
// gateway keeps to pass their keep-alive (the upstream's 5 s); what the gateway still holds.
agent.destroy();
await new Promise((r) => setTimeout(r, 6000));
const idle = sample((performance.now() - start) / 1000);
const fdsAfter = fdKinds();
if (inFlight > 0) failed('(still unanswered at the end)', new Error(`${inFlight} requests`));

// --- the report ----------------------------------------------------------------------------------------
// A clean stop after the soak: SIGTERM, exit 0 (a gateway that died during the run reports its own end).
const ended = gateway.exitCode !== null || gateway.signalCode !== null;
const exitCode = ended
  ? (gateway.exitCode ?? gateway.signalCode)
  : await new Promise((resolve) => {
      gateway.once('exit', (code, signal) => resolve(code ?? signal));
      gateway.kill('SIGTERM');
    });
upstream.kill('SIGTERM');
const seconds = (answered - start) / 1000;
const at = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
/** Least-squares slope of `key` against time, per minute, over the samples from `from` s on. */
const slope = (key, from = 0) => {
  const xs = samples.filter((s) => s.t >= from);
  const mt = xs.reduce((a, s) => a + s.t, 0) / xs.length;
  const my = xs.reduce((a, s) => a + s[key], 0) / xs.length;
  const num = xs.reduce((a, s) => a + (s.t - mt) * (s[key] - my), 0);
  const den = xs.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
};
const totalErrors = [...errors.values()].reduce((n, e) => n + e.count, 0);
const sortedLag = lag.sort((a, b) => a - b);
console.log(
  `\n${new Date().toISOString()}  node ${process.version}  ${minutes} min, ${pinned ? 'gateway + upstream on CPU 0, load on CPU 1' : 'unpinned'}; load average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`rates per second: forward-auth ${rates.fa}, proxy ${rates.proxy}, logins ${rates.login} (each then logged out), OIDC flows ${rates.oidc}\n`);
console.log('| kind | answered | per second | p50 ms | p99 ms | max ms | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [kind, values] of latencies) {
  const sorted = values.sort((a, b) => a - b);
  const line = [kind, sorted.length, (sorted.length / seconds).toFixed(1), at(sorted, 0.5).toFixed(2), at(sorted, 0.99).toFixed(2), sorted.at(-1).toFixed(1)];
  console.log(`| ${line.join(' | ')} | ${errors.get(kind)?.count ?? 0} |`);
}
for (const [kind, entry] of errors) console.log(`errors, ${kind}: ${entry.count}, e.g. ${entry.first.join(' / ')}`);
console.log(`\nrequests sent again after the gateway closed their idle kept-alive connection as they went out: ${resent}`);
console.log(
  `load generator lag (due → sent): p50 ${at(sortedLag, 0.5).toFixed(2)} ms, p99 ${at(sortedLag, 0.99).toFixed(2)} ms, max ${sortedLag.at(-1).toFixed(1)} ms`,
);
console.log('\n| t (s) | RSS (MB) | of which anonymous | file and shared | open fds | gateway CPU (s) |');
console.log('|---:|---:|---:|---:|---:|---:|');
const row = (label, s) => `| ${label} | ${s.rss.toFixed(1)} | ${s.anon.toFixed(1)} | ${s.file.toFixed(1)} | ${s.fds} | ${s.cpu.toFixed(1)} |`;
for (const s of samples) console.log(row(s.t.toFixed(0), s));
console.log(row('idle, 6 s after the load (its connections closed)', idle));
// The lowest RSS of each window: V8's heap grows between major collections (a saw-tooth of tens
// of MB); a leak shows as a rising floor.
const window = Math.max(60, Math.round(samples.at(-1).t / 5 / 30) * 30);
const floors = [];
const last = samples.at(-1).t;
for (let from = 0; from < last; from += window) {
  const inside = samples.filter((s) => s.t >= from && (s.t < from + window || (from + window >= last && s.t <= last)));
  if (inside.length > 0) floors.push(`${from}–${from + window} s: ${Math.min(...inside.map((s) => s.rss)).toFixed(1)}`);
}
console.log(`\nlowest RSS (MB) per ${window} s window: ${floors.join('; ')}`);
const changed = [...new Set([...fdsBefore.keys(), ...fdsAfter.keys()])]
  .map((kind) => [kind, (fdsAfter.get(kind) ?? 0) - (fdsBefore.get(kind) ?? 0)])
  .filter(([, delta]) => delta !== 0);
console.log(
  `descriptors idle after the load vs before it: ${changed.length === 0 ? 'the same' : changed.map(([kind, delta]) => `${kind} ${delta > 0 ? '+' : ''}${delta}`).join(', ')}`,
);
if (pressure !== undefined) console.log(`CPU pressure during the run (PSI "some": share of time a task waited for a CPU): ${(pressure * 100).toFixed(0)} %`);
const after = Math.min(60, samples.at(-1).t / 2);
console.log(
  `\nleast-squares slope, whole run: RSS ${slope('rss').toFixed(3)} MB/min, fds ${slope('fds').toFixed(3)}/min; ` +
    `from ${after.toFixed(0)} s on: RSS ${slope('rss', after).toFixed(3)} MB/min, fds ${slope('fds', after).toFixed(3)}/min`,
);
const logged = gateway.log
  .join('')
  .split('\n')
  .filter((line) => line.trim() !== '');
console.log(`gateway exit after SIGTERM: ${exitCode}; errors: ${totalErrors}; the gateway logged ${logged.length} lines (level warn and above)`);
for (const line of logged.slice(0, 20)) console.log(`  ${line.slice(0, 400)}`);
process.exit(totalErrors === 0 && exitCode === 0 ? 0 : 1);
