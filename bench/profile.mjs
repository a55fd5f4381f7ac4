// Where the hot path's time goes (issue 14): runs Gatehouse under `--cpu-prof` (CPU 0) while wrk
// (CPU 1) drives one case, then prints the functions with the most self time and the share of
// each package (gatehouse's own code, fastify, http-proxy, pino, node's internals…).
//   node scripts/build.mjs && node bench/profile.mjs forward-auth|proxy   (DURATION=10 TOP=25)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, johnLine, siteRules, waitPort } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const which = process.argv[2] ?? 'forward-auth';
const DURATION = Number(process.env.DURATION ?? 10);
const TOP = Number(process.env.TOP ?? 25);
const RULES = Number(process.env.RULES ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'));

const [gh, app] = [await freePort(), await freePort()];
writeFileSync(join(dir, 'users.yml'), `users:\n${johnLine()}\n`);
const rules = siteRules(RULES - 1);
writeFileSync(
  join(dir, 'config.yml'),
  `server: {address: 'tcp://127.0.0.1:${gh}'}
log: {level: warn, format: json}
session:
  inactivity: 1h
  cookies: [{domain: example.localhost, portal_url: 'http://auth.example.localhost:${gh}'}]
storage: {encryption_key: bench-storage-key-0123456789, local: {path: ${dir}/db.sqlite3}}
authentication_backend: {file: {path: ${dir}/users.yml}}
access_control:
  default_policy: deny
  rules:
${rules.join('\n')}
    - {domain: app.example.localhost, policy: one_factor}
proxy:
  upstreams: [{domain: app.example.localhost, target: 'http://127.0.0.1:${app}'}]
`,
);
writeFileSync(
  join(dir, 'app.mjs'),
  `import { createServer } from 'node:http';
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello ' + (req.headers['remote-user'] ?? '-')); }).listen(${app}, '127.0.0.1');`,
);
const upstream = spawn('taskset', ['-c', '1', process.execPath, join(dir, 'app.mjs')], { stdio: 'inherit' });
const server = spawn(
  'taskset',
  ['-c', '0', process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, join(root, 'bin/gatehouse.js'), 'serve', '--config', join(dir, 'config.yml')],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
);
await waitPort(gh);
await waitPort(app);

const login = await new Promise((resolve, reject) => {
  const req = httpRequest(
    {
      host: '127.0.0.1',
      port: gh,
      path: '/api/firstfactor',
      method: 'POST',
      headers: { host: `auth.example.localhost:${gh}`, 'content-type': 'application/json' },
    },
    (res) => resolve(res.headers['set-cookie'].find((c) => c.startsWith('gatehouse_session=')).split(';')[0]),
  );
  req.on('error', reject).end(JSON.stringify({ username: 'john', password: 'bench-password' }));
});
const headers =
  which === 'proxy'
    ? [`Host: app.example.localhost`, `Cookie: ${login}`]
    : [
        `Cookie: ${login}; theme=dark; lang=en`,
        'X-Forwarded-Method: GET',
        'X-Forwarded-Proto: http',
        'X-Forwarded-Host: app.example.localhost',
        'X-Forwarded-URI: /dashboard',
        'Accept: text/html',
      ];
const url = which === 'proxy' ? `http://127.0.0.1:${gh}/` : `http://127.0.0.1:${gh}/api/authz/forward-auth`;
const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${DURATION}s`, ...headers.flatMap((h) => ['-H', h]), url], { encoding: 'utf8' });
process.stdout.write(`${which}: ${/Requests\/sec:\s+([\d.]+)/.exec(out)[1]} req/s under the profiler\n`);
await new Promise((resolve) => {
  server.once('exit', resolve);
  server.kill('SIGTERM');
});
upstream.kill('SIGTERM');

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
let total = 0;
for (const [id, n] of counts) {
  const node = byId.get(id);
  total += n;
  const { functionName, url: where, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${where.replace(/^file:\/\//, '').replace(root, '')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + n);
}
const packageOf = (key) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(key);
  if (m) return m[1];
  if (/ dist\//.test(key)) return 'gatehouse';
  if (/node:|internal\//.test(key)) return 'node internals';
  return /^\((garbage collector|idle|program|root)\)/.test(key) ? key.split(' ')[0] : 'native / other';
};
const packages = new Map();
for (const [key, n] of self) packages.set(packageOf(key), (packages.get(packageOf(key)) ?? 0) + n);
const pct = (n) => `${((100 * n) / total).toFixed(1)}%`;
console.log(`\nself time by package (${total} samples):`);
for (const [p, n] of [...packages].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${pct(n).padStart(6)}  ${p}`);
console.log(`\ntop ${TOP} functions by self time:`);
for (const [key, n] of [...self].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`  ${pct(n).padStart(6)}  ${key}`);
