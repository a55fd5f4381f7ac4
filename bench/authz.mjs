// Forward-auth and proxy benchmark (issues 5 and 13): every case in one run, on loopback, with ratios.
// A second Gatehouse runs the scale-out backends (sessions in Redis, storage in PostgreSQL;
// SCALEOUT=0 leaves it out): forward-auth and logins per second on each.
//   node scripts/build.mjs && node bench/authz.mjs        (DURATION=10 WARMUP=3 CONNS=50 to tune)
// Server-side processes run on CPU 0 (`taskset -c 0`), wrk/autocannon on CPU 1, as in
// shared/reference/perf-anchors.md. Needs wrk and nginx (apt-get install -y wrk nginx).
import { execFileSync, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const CONNS = Number(process.env.CONNS ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const children = [];
const pin = (cpu, cmd, args) => (hasTaskset() ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);
function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}

// Distinct free ports: every listener stays bound until all are known.
async function freePorts(n) {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
async function waitPort(port) {
  for (let i = 0; i < 1000; i++) {
    if (
      await new Promise((r) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          r(true);
        }).on('error', () => r(false));
      })
    )
      return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing on ${port}`);
}
function start(cmd, args, env = {}) {
  const [c, a] = pin(0, cmd, args);
  const child = spawn(c, a, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production', ...env } });
  children.push(child);
  process.once('exit', () => child.kill('SIGTERM'));
  return child;
}
function rssMb(pid) {
  try {
    return (Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024).toFixed(1);
  } catch {
    return '?';
  }
}
function wrk(url, headers, seconds, script) {
  const args = ['-t1', `-c${CONNS}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), ...headers.flatMap((h) => ['-H', h]), url];
  const [c, a] = pin(1, 'wrk', args);
  const out = execFileSync(c, a, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const ms = p99 ? Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2]] : NaN;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return { rps, p99: ms, errors: non2xx ? Number(non2xx[1]) : 0 };
}
async function fixedRate(url, headers, rate, seconds) {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({
    url,
    connections: 10,
    overallRate: rate,
    duration: seconds,
    headers: Object.fromEntries(headers.map((h) => [h.split(': ')[0], h.split(': ').slice(1).join(': ')])),
  });
  return { p99: result.latency.p99, rps: result.requests.average, non2xx: result.non2xx };
}

// --- servers -----------------------------------------------------------------------------
const bare = `import { createServer } from 'node:http';
const h = { 'remote-user': 'john', 'remote-groups': 'admins,dev', 'remote-name': 'John Doe', 'remote-email': 'john@example.com' };
createServer((req, res) => { res.writeHead(200, h); res.end(); }).listen(Number(process.env.PORT), '127.0.0.1');`;
const upstreamApp = `import { createServer } from 'node:http';
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello ' + (req.headers['remote-user'] ?? '-')); }).listen(Number(process.env.PORT), '127.0.0.1');`;
writeFileSync(join(dir, 'bare.mjs'), bare);
writeFileSync(join(dir, 'app.mjs'), upstreamApp);

const salt = randomBytes(16);
const ab64 = (b) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
writeFileSync(
  join(dir, 'users.yml'),
  `users:\n  john: {displayname: John Doe, password: '$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(pbkdf2Sync('bench-password', salt, 1000, 32, 'sha256'))}', email: john@example.com, groups: [admins, dev]}\n`,
);

const SCALEOUT = process.env.SCALEOUT !== '0';
const [pa, papp, pgh, pe, pf, pg2] = await freePorts(6);
const ports = { a: pa, app: papp, gh: pgh, e: pe, f: pf, ...(SCALEOUT ? { g: pg2 } : {}) };
// The scale-out instance's own PostgreSQL schema (dropped at the end) and Redis database.
const schema = `bench_${randomBytes(6).toString('hex')}`;
const rules = Array.from(
  { length: 999 },
  (_, i) => `    - {domain: site${i}.example.localhost, policy: ${['bypass', 'one_factor', 'two_factor', 'deny'][i % 4]}}`,
);
writeFileSync(
  join(dir, 'config.yml'),
  `server: {address: 'tcp://127.0.0.1:${ports.gh}'}
log: {level: warn, format: json}
session:
  inactivity: 1h
  cookies: [{domain: example.localhost, portal_url: 'http://auth.example.localhost:${ports.gh}'}]
storage: {encryption_key: bench-storage-key-0123456789, local: {path: ${dir}/db.sqlite3}}
authentication_backend: {file: {path: ${dir}/users.yml}}
access_control:
  default_policy: deny
  rules:
${rules.join('\n')}
    - {domain: app.example.localhost, policy: one_factor}
proxy:
  upstreams: [{domain: app.example.localhost, target: 'http://127.0.0.1:${ports.app}'}]
`,
);
if (SCALEOUT) {
  const config = readFileSync(join(dir, 'config.yml'), 'utf8')
    .replace(`tcp://127.0.0.1:${ports.gh}`, `tcp://127.0.0.1:${ports.g}`)
    .replace(`http://auth.example.localhost:${ports.gh}`, `http://auth.example.localhost:${ports.g}`)
    .replace(
      `storage: {encryption_key: bench-storage-key-0123456789, local: {path: ${dir}/db.sqlite3}}`,
      `storage: {encryption_key: bench-storage-key-0123456789, postgres: {address: 'tcp://127.0.0.1:5432', database: test, schema: ${schema}, username: postgres}}`,
    )
    .replace('session:\n', 'session:\n  secret: bench-session-secret-0123456789\n  redis: {host: 127.0.0.1, port: 6379, database_index: 14}\n');
  writeFileSync(join(dir, 'config-scaleout.yml'), config);
}
const nginxConf = `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log warn; ${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3; uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;
  upstream app { server 127.0.0.1:${ports.app}; keepalive 128; keepalive_requests 1000000; keepalive_timeout 4s; }
  upstream gatehouse { server 127.0.0.1:${ports.gh}; keepalive 128; keepalive_requests 1000000; keepalive_timeout 4s; }
  server { listen 127.0.0.1:${ports.e}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:${ports.f};
    ${readFileSync(join(root, 'examples/nginx/authz-location.conf'), 'utf8')}
    location / { ${readFileSync(join(root, 'examples/nginx/auth-request.conf'), 'utf8')} ${readFileSync(join(root, 'examples/nginx/proxy.conf'), 'utf8')} proxy_pass http://app; } }
}`;
for (const t of ['t1', 't2', 't3', 't4', 't5']) mkdirSync(join(dir, t));
writeFileSync(join(dir, 'nginx.conf'), nginxConf);

const a = start(process.execPath, [join(dir, 'bare.mjs')], { PORT: String(ports.a) });
const app = start(process.execPath, [join(dir, 'app.mjs')], { PORT: String(ports.app) });
const gh = start(process.execPath, [join(root, 'bin/gatehouse.js'), 'serve', '--config', join(dir, 'config.yml')]);
const nginx = start('nginx', ['-p', dir, '-e', `${dir}/nginx-error.log`, '-c', join(dir, 'nginx.conf')]);
const gh2 = SCALEOUT ? start(process.execPath, [join(root, 'bin/gatehouse.js'), 'serve', '--config', join(dir, 'config-scaleout.yml')]) : undefined;
for (const p of Object.values(ports)) await waitPort(p);
process.stderr.write('servers up\n');

function http(url, headers, body) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: body ? 'POST' : 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject).end(body);
  });
}
async function signIn(port) {
  const login = await http(
    `http://127.0.0.1:${port}/api/firstfactor`,
    { host: `auth.example.localhost:${port}`, 'content-type': 'application/json' },
    JSON.stringify({ username: 'john', password: 'bench-password' }),
  );
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
  return login.headers['set-cookie'].find((c) => c.startsWith('gatehouse_session=')).split(';')[0];
}
const forwardHeaders = (cookie) => [
  `Cookie: ${cookie}; theme=dark; lang=en`,
  'X-Forwarded-Method: GET',
  'X-Forwarded-Proto: http',
  'X-Forwarded-Host: app.example.localhost',
  'X-Forwarded-URI: /dashboard',
  'Accept: text/html',
];
const cookie = await signIn(ports.gh);
const fwd = forwardHeaders(cookie);
// Logins per second (wrk POSTs the first factor): each one checks the password, writes an
// authentication log row and stores a new session.
const loginScript = join(dir, 'login.lua');
writeFileSync(
  loginScript,
  `wrk.method = "POST"\nwrk.body = '{"username":"john","password":"bench-password"}'\nwrk.headers["Content-Type"] = "application/json"\n`,
);
const loginCase = (id, port, what) => ({
  id,
  what,
  url: `http://127.0.0.1:${port}/api/firstfactor`,
  headers: [`Host: auth.example.localhost:${port}`],
  script: loginScript,
  gate: false,
});
const cases = [
  { id: 'a', what: 'bare node:http, 200 + 4 headers (floor)', url: `http://127.0.0.1:${ports.a}/`, headers: [] },
  { id: 'b', what: '/api/authz/forward-auth, valid session, 1,000 rules', url: `http://127.0.0.1:${ports.gh}/api/authz/forward-auth`, headers: fwd },
  { id: 'c', what: 'the upstream directly', url: `http://127.0.0.1:${ports.app}/`, headers: [] },
  { id: 'd', what: 'Gatehouse proxy mode, valid session', url: `http://127.0.0.1:${ports.gh}/`, headers: [`Host: app.example.localhost`, `Cookie: ${cookie}`] },
  { id: 'e', what: 'nginx proxy_pass alone', url: `http://127.0.0.1:${ports.e}/`, headers: [] },
  {
    id: 'f',
    what: 'nginx auth_request → Gatehouse → upstream',
    url: `http://127.0.0.1:${ports.f}/`,
    headers: [`Host: app.example.localhost`, `Cookie: ${cookie}`],
  },
  ...(SCALEOUT
    ? [
        {
          id: 'g',
          what: '(b) with sessions in Redis and storage in PostgreSQL',
          url: `http://127.0.0.1:${ports.g}/api/authz/forward-auth`,
          headers: forwardHeaders(await signIn(ports.g)),
        },
      ]
    : []),
  loginCase('h', ports.gh, 'logins (POST /api/firstfactor), SQLite'),
  ...(SCALEOUT ? [loginCase('i', ports.g, 'logins (POST /api/firstfactor), Redis + PostgreSQL')] : []),
];
// Correctness gates before any load.
for (const c of cases.filter((c) => c.gate !== false)) {
  const res = await http(c.url, Object.fromEntries(c.headers.map((h) => [h.split(': ')[0], h.split(': ').slice(1).join(': ')])));
  const body = res.body;
  if (res.status !== 200) throw new Error(`gate failed for (${c.id}): ${res.status} ${body}`);
  if ((c.id === 'b' || c.id === 'g') && res.headers['remote-user'] !== 'john') throw new Error(`gate (b): no Remote-User: ${JSON.stringify(res.headers)}`);
  if ((c.id === 'd' || c.id === 'f') && body !== 'hello john') throw new Error(`gate (${c.id}): upstream saw ${body}`);
}
const results = {};
for (const c of cases) {
  wrk(c.url, c.headers, WARMUP, c.script);
  results[c.id] = wrk(c.url, c.headers, DURATION, c.script);
  process.stderr.write(`(${c.id}) ${Math.round(results[c.id].rps)} req/s\n`);
}
// Redis + PostgreSQL beside SQLite for forward-auth, interleaved (b, g, b, g …) so that the
// host's drift falls on both alike; medians of REPS runs.
const REPS = Number(process.env.REPS ?? 3);
const pairs = { b: [], g: [] };
if (SCALEOUT) {
  const [b, g] = [cases.find((c) => c.id === 'b'), cases.find((c) => c.id === 'g')];
  for (let i = 0; i < REPS; i++) for (const c of [b, g]) pairs[c.id].push(wrk(c.url, c.headers, DURATION).rps);
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const steady = await fixedRate(cases[1].url, cases[1].headers, 1000, DURATION);
const half = Math.round(results.b.rps / 2);
const atHalf = await fixedRate(cases[1].url, cases[1].headers, half, DURATION);
const rss = { a: rssMb(a.pid), gatehouse: rssMb(gh.pid), upstream: rssMb(app.pid), scaleout: gh2 ? rssMb(gh2.pid) : '-' };
const worker = execFileSync('pgrep', ['-P', String(nginx.pid)], { encoding: 'utf8' })
  .trim()
  .split('\n')[0];
rss.nginx = rssMb(worker);

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`\n${new Date().toISOString()}  node ${process.version}  wrk -t1 -c${CONNS} -d${DURATION}s (after ${WARMUP}s warm-up)\n`);
console.log('| case | what | req/s | ÷ (a) | p99 ms | non-2xx |');
console.log('|---|---|---:|---:|---:|---:|');
for (const c of cases)
  console.log(
    `| (${c.id}) | ${c.what} | ${fmt(results[c.id].rps)} | ${(results[c.id].rps / results.a.rps).toFixed(2)} | ${results[c.id].p99.toFixed(2)} | ${results[c.id].errors} |`,
  );
console.log(
  `\nTargets: (b) ≥ 0.7 × (a): ${(results.b.rps / results.a.rps).toFixed(2)} ${results.b.rps >= 0.7 * results.a.rps ? 'met' : 'MISSED'}; (d) ≥ 1.0 × (f): ${(results.d.rps / results.f.rps).toFixed(2)} ${results.d.rps >= results.f.rps ? 'met' : 'MISSED'}`,
);
console.log(`(b) p99 at a steady 1,000 req/s (autocannon -R): ${steady.p99} ms ${steady.p99 < 1 ? 'met' : 'MISSED'} (< 1 ms); non-2xx ${steady.non2xx}`);
console.log(`(b) p99 at half its peak, ${fmt(half)} req/s: ${atHalf.p99} ms ${atHalf.p99 < 5 ? 'met' : 'MISSED'} (< 5 ms); non-2xx ${atHalf.non2xx}`);
if (SCALEOUT) {
  const [mb, mg] = [median(pairs.b), median(pairs.g)];
  const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  console.log(
    `Scale-out, ${REPS} interleaved runs: forward-auth SQLite (b) median ${fmt(mb)} req/s (${range(pairs.b)}), Redis + PostgreSQL (g) median ${fmt(mg)} (${range(pairs.g)}); (g) ÷ (b) = ${(mg / mb).toFixed(2)} ${mg >= 0.9 * mb ? 'met' : 'MISSED'} (≥ 0.9); logins (i) ÷ (h) = ${(results.i.rps / results.h.rps).toFixed(2)}`,
  );
}
console.log(
  `RSS after the run (MB): gatehouse ${rss.gatehouse}, gatehouse on Redis + PostgreSQL ${rss.scaleout}, bare (a) ${rss.a}, upstream ${rss.upstream}, nginx worker ${rss.nginx}`,
);
if (SCALEOUT) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
for (const child of children) child.kill('SIGTERM');
process.exit(0);
