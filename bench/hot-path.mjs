// The hot path's table (issue 14): every row in one run, each against its baseline in the same
// process tree, REPS interleaved repetitions (default 3), medians with min–max.
//   node scripts/build.mjs && node bench/hot-path.mjs      (DURATION=10 REPS=3 CONNS=50 to tune;
//   METRICS=1 runs Gatehouse with telemetry.metrics enabled, to see what counting costs)
// Server-side processes (Gatehouse, the bare server, nginx, the upstream) run on CPU 0
// (`taskset -c 0`), the load generators (wrk, autocannon, the login loop) on CPU 1. Besides
// requests per second, each HTTP row gives the server's CPU time per request (/proc utime+stime ÷
// requests answered), which a noisy host disturbs far less. Needs wrk and nginx.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../dist/auth/password/hash.js';
import { freePort, johnLine, siteRules, waitPort } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const DURATION = Number(process.env.DURATION ?? 10);
const REPS = Number(process.env.REPS ?? 3);
const CONNS = Number(process.env.CONNS ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-hot-path-'));
const children = [];
process.once('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});

// --- helpers ---------------------------------------------------------------------------------
function start(cmd, args, env = {}) {
  const child = spawn('taskset', ['-c', '0', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production', ...env },
  });
  children.push(child);
  return child;
}
const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
/** wrk on CPU 1; CPU µs per request of `pids` (the server side) over the run. */
function wrk(url, headers, pids, seconds = DURATION, script) {
  const before = pids.map(ticks);
  const args = [
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${CONNS}`,
    `-d${seconds}s`,
    '--latency',
    ...(script ? ['-s', script] : []),
    ...headers.flatMap((h) => ['-H', h]),
    url,
  ];
  const out = execFileSync('taskset', args, { encoding: 'utf8' });
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const cpu = pids.reduce((sum, pid, i) => sum + ticks(pid) - before[i], 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), us: (cpu * 1e4) / requests, non2xx };
}
/** autocannon at a fixed pace, on CPU 1: latency percentiles in ms. */
function paced(url, headers, rate, seconds = DURATION) {
  const args = ['-c', '1', process.execPath, join(root, 'node_modules/autocannon/autocannon.js'), '-j', '-c', '10', '-R', String(rate), '-d', String(seconds)];
  for (const h of headers) args.push('-H', h);
  const result = JSON.parse(execFileSync('taskset', [...args, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  return { p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs, digits = 2) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
function http(port, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject).end(body);
  });
}

// --- servers ---------------------------------------------------------------------------------
const [pgh, pbare, papp, pchain, phop] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
writeFileSync(
  join(dir, 'bare.mjs'),
  `import { createServer } from 'node:http';
const h = { 'remote-user': 'john', 'remote-groups': 'admins,dev', 'remote-name': 'John Doe', 'remote-email': 'john@example.com' };
createServer((req, res) => { res.writeHead(200, h); res.end(); }).listen(${pbare}, '127.0.0.1');`,
);
writeFileSync(
  join(dir, 'app.mjs'),
  `import { createServer } from 'node:http';
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello ' + (req.headers['remote-user'] ?? '-')); }).listen(${papp}, '127.0.0.1');`,
);
// A plain http-proxy hop to the same upstream, no authorisation: what one Node proxy hop costs.
writeFileSync(
  join(dir, 'hop.cjs'),
  `const { createServer, Agent } = require('node:http');
const httpProxy = require(${JSON.stringify(join(root, 'node_modules/http-proxy'))});
const proxy = httpProxy.createProxyServer({ target: 'http://127.0.0.1:${papp}', agent: new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }) });
createServer((req, res) => proxy.web(req, res)).listen(${phop}, '127.0.0.1');`,
);
writeFileSync(
  join(dir, 'users.yml'),
  `users:
${johnLine()}
  argon: {displayname: Argon, password: '${await hashPassword('bench-password', 'argon2id')}', email: argon@example.com, groups: []}
`,
);
const rules = Array.from(
  { length: 999 },
  (_, i) => `    - {domain: site${i}.example.localhost, policy: ${['bypass', 'one_factor', 'two_factor', 'deny'][i % 4]}}`,
);
writeFileSync(
  join(dir, 'config.yml'),
  `server: {address: 'tcp://127.0.0.1:${pgh}'}
log: {level: warn, format: json}
session:
  inactivity: 1h
  cookies: [{domain: example.localhost, portal_url: 'http://auth.example.localhost:${pgh}'}]
storage: {encryption_key: bench-storage-key-0123456789, local: {path: ${dir}/db.sqlite3}}
authentication_backend: {file: {path: ${dir}/users.yml}}
regulation: {max_retries: 0}
access_control:
  default_policy: deny
  rules:
${rules.join('\n')}
    - {domain: app.example.localhost, policy: one_factor}
proxy:
  upstreams: [{domain: app.example.localhost, target: 'http://127.0.0.1:${papp}'}]
${process.env.METRICS === '1' ? "telemetry: {metrics: {enabled: true, address: 'tcp://127.0.0.1:0'}}\n" : ''}`,
);
for (const t of ['t1', 't2', 't3', 't4', 't5']) mkdirSync(join(dir, t));
const include = (file) => readFileSync(join(root, 'examples/nginx', file), 'utf8');
writeFileSync(
  join(dir, 'nginx.conf'),
  `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log warn; ${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3; uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;
  upstream app { server 127.0.0.1:${papp}; keepalive 128; keepalive_requests 1000000; keepalive_timeout 4s; }
  upstream gatehouse { server 127.0.0.1:${pgh}; keepalive 128; keepalive_requests 1000000; keepalive_timeout 4s; }
  server { listen 127.0.0.1:${pchain};
    ${include('authz-location.conf')}
    location / { ${include('auth-request.conf')} ${include('proxy.conf')} proxy_pass http://app; } }
}`,
);
const bare = start(process.execPath, [join(dir, 'bare.mjs')]);
const app = start(process.execPath, [join(dir, 'app.mjs')]);
// Run as users run it: the bin's shebang sets V8's young-generation size (bin/gatehouse.js).
const gh = start(join(root, 'bin/gatehouse.js'), ['serve', '--config', join(dir, 'config.yml')]);
const hop = start(process.execPath, [join(dir, 'hop.cjs')]);
const nginx = start('nginx', ['-p', dir, '-e', `${dir}/nginx-error.log`, '-c', join(dir, 'nginx.conf')]);
for (const p of [pgh, pbare, papp, pchain, phop]) await waitPort(p);
const nginxWorker = Number(
  execFileSync('pgrep', ['-P', String(nginx.pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')[0],
);

const login = await http(
  pgh,
  '/api/firstfactor',
  { host: `auth.example.localhost:${pgh}`, 'content-type': 'application/json' },
  JSON.stringify({ username: 'john', password: 'bench-password' }),
);
if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
const cookie = login.headers['set-cookie'].find((c) => c.startsWith('gatehouse_session=')).split(';')[0];
// What Traefik/Caddy send: the same request goes to the bare server, which answers the same headers.
const asked = [
  `Cookie: ${cookie}; theme=dark; lang=en`,
  'X-Forwarded-Method: GET',
  'X-Forwarded-Proto: http',
  'X-Forwarded-Host: app.example.localhost',
  'X-Forwarded-URI: /dashboard',
  'Accept: text/html',
];
const url = {
  bare: `http://127.0.0.1:${pbare}/`,
  fwd: `http://127.0.0.1:${pgh}/api/authz/forward-auth`,
  proxy: `http://127.0.0.1:${pgh}/`,
  chain: `http://127.0.0.1:${pchain}/`,
  hop: `http://127.0.0.1:${phop}/`,
};
const site = ['Host: app.example.localhost', `Cookie: ${cookie}`];
// Correctness gates before any load.
const gate = async (port, path, headers, check) => {
  const res = await http(port, path, Object.fromEntries(headers.map((h) => [h.split(': ')[0], h.split(': ').slice(1).join(': ')])));
  if (!check(res)) throw new Error(`gate failed on ${port}${path}: ${res.status} ${JSON.stringify(res.headers)} ${res.body}`);
};
await gate(pgh, '/api/authz/forward-auth', asked, (r) => r.status === 200 && r.headers['remote-user'] === 'john');
await gate(pgh, '/', site, (r) => r.status === 200 && r.body === 'hello john');
await gate(pchain, '/', site, (r) => r.status === 200 && r.body === 'hello john');
process.stderr.write('servers up, gates passed\n');

// --- rows 1, 2 and 7: throughput, interleaved -------------------------------------------------
const runs = { bare: [], fwd: [], proxy: [], chain: [], hop: [] };
const pids = { bare: [bare.pid], fwd: [gh.pid], proxy: [gh.pid, app.pid], chain: [nginxWorker, gh.pid, app.pid], hop: [hop.pid, app.pid] };
const headersOf = { bare: asked, fwd: asked, proxy: site, chain: site, hop: site };
for (const c of Object.keys(runs)) wrk(url[c], headersOf[c], pids[c], 3); // warm-up
for (let rep = 0; rep < REPS; rep++)
  for (const c of Object.keys(runs)) {
    runs[c].push(wrk(url[c], headersOf[c], pids[c]));
    process.stderr.write(`(${c}) ${fmt(runs[c].at(-1).rps)} req/s\n`);
  }
const rss = { gatehouse: rssMb(gh.pid), bare: rssMb(bare.pid) };
const ratio = (a, b) => runs[a].map((r, i) => r.rps / runs[b][i].rps);
const rps = (c) => median(runs[c].map((r) => r.rps));
const us = (c) => median(runs[c].map((r) => r.us));

// --- row 3: p99 at a steady 1,000 req/s --------------------------------------------------------
const steady = { bare: [], fwd: [] };
for (let rep = 0; rep < REPS; rep++) for (const c of ['bare', 'fwd']) steady[c].push(paced(url[c], asked, 1000).p99);

// --- row 4: p99 while four clients sign in with argon2id continuously ---------------------------
const loginScript = join(dir, 'login.lua');
writeFileSync(
  loginScript,
  `wrk.method = "POST"\nwrk.body = '{"username":"argon","password":"bench-password"}'\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Host"] = "auth.example.localhost"\n`,
);
const busy = { idle: [], busy: [], logins: [] };
for (let rep = 0; rep < REPS; rep++) {
  busy.idle.push(paced(url.fwd, asked, 1000).p99);
  const loop = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c4', `-d${DURATION + 2}s`, '-s', loginScript, `http://127.0.0.1:${pgh}/api/firstfactor`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  loop.stdout.on('data', (c) => (out += c));
  await new Promise((r) => setTimeout(r, 1000));
  busy.busy.push(paced(url.fwd, asked, 1000).p99);
  await new Promise((r) => loop.once('exit', r));
  busy.logins.push(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0));
}

// --- rows 5 and 6: the rules engine and the OpenID Connect provider, their own scripts ----------
const rulesOut = execFileSync('taskset', ['-c', '0', process.execPath, join(root, 'bench/rules.mjs')], { encoding: 'utf8' });
const rulesRow = /10,000 ÷ 10 rules, cost per decision: ([\d.]+) \(per repetition ([\d.–]+)/.exec(rulesOut);
const oidcOut = execFileSync(process.execPath, [join(root, 'bench/oidc.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const oidcRow = /\| ratio Gatehouse \/ ([^|]+) \| ([\d.]+) \| ([\d.]+) \|/.exec(oidcOut);

// --- the table -----------------------------------------------------------------------------------
const fwdRatio = ratio('fwd', 'bare');
const proxyRatio = ratio('proxy', 'chain');
const steadyRatio = steady.fwd.map((p, i) => p / steady.bare[i]);
const busyRatio = busy.busy.map((p, i) => p / busy.idle[i]);
const verdict = (ok) => (ok ? 'met' : '**missed**');
console.log(`\n${new Date().toISOString()}  node ${process.version}  wrk -t1 -c${CONNS} -d${DURATION}s, ${REPS} interleaved repetitions, medians (min–max)\n`);
console.log('| row | measured | ratio (min–max) | target | |');
console.log('|---|---|---:|---:|---|');
console.log(
  `| forward-auth, valid session, 1,000 rules ÷ bare node:http answering the same headers (same requests) | ${fmt(rps('fwd'))} vs ${fmt(rps('bare'))} req/s; CPU ${us('fwd').toFixed(0)} vs ${us('bare').toFixed(0)} µs/request | ${median(fwdRatio).toFixed(2)} (${span(fwdRatio)}) | ≥ 0.70 | ${verdict(median(fwdRatio) >= 0.7)} |`,
);
console.log(
  `| proxy mode, valid session ÷ nginx auth_request → Gatehouse → same upstream | ${fmt(rps('proxy'))} vs ${fmt(rps('chain'))} req/s; CPU ${us('proxy').toFixed(0)} vs ${us('chain').toFixed(0)} µs/request (all server processes) | ${median(proxyRatio).toFixed(2)} (${span(proxyRatio)}) | ≥ 1.30 | ${verdict(median(proxyRatio) >= 1.3)} |`,
);
console.log(
  `| (for reference) a plain http-proxy hop to the same upstream, no authorisation | ${fmt(rps('hop'))} req/s; CPU ${us('hop').toFixed(0)} µs/request (hop and upstream) | ${(rps('hop') / rps('chain')).toFixed(2)} of the nginx chain | | |`,
);
console.log(
  `| forward-auth p99 at a steady 1,000 req/s ÷ bare server paced the same | ${median(steady.fwd).toFixed(2)} vs ${median(steady.bare).toFixed(2)} ms | ${median(steadyRatio).toFixed(2)} (${span(steadyRatio)}) | ≤ 1.5 | ${verdict(median(steadyRatio) <= 1.5)} |`,
);
console.log(
  `| forward-auth p99 (1,000 req/s) during 4 continuous argon2id logins ÷ idle p99 | ${median(busy.busy).toFixed(2)} vs ${median(busy.idle).toFixed(2)} ms; ${median(busy.logins).toFixed(1)} logins/s | ${median(busyRatio).toFixed(2)} (${span(busyRatio)}) | ≤ 2.0 | ${verdict(median(busyRatio) <= 2)} |`,
);
console.log(
  `| rules: 10,000 spread ÷ 10 rules, cost per decision (bench/rules.mjs) | ${rulesOut.match(/10000 rules:\s+(\d+) ns/)?.[1]} vs ${rulesOut.match(/\s10 rules:\s+(\d+) ns/)?.[1]} ns | ${rulesRow?.[1]} (${rulesRow?.[2]}) | ≤ 1.5 | ${verdict(Number(rulesRow?.[1]) <= 1.5)} |`,
);
console.log(`| OIDC token exchanges ÷ ${oidcRow?.[1]?.trim()} (bench/oidc.mjs) | | ${oidcRow?.[3]} | ≥ 1.0 | ${verdict(Number(oidcRow?.[3]) >= 1)} |`);
console.log(
  `| RSS after the forward-auth run | ${rss.gatehouse.toFixed(1)} MB (bare node:http ${rss.bare.toFixed(1)} MB) | | ≤ 90 MB | ${verdict(rss.gatehouse <= 90)} |`,
);
process.exit(0);
