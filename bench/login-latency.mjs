// Does password hashing block the event loop? Measures the latency of forward-auth checks
// (GET /api/authz/forward-auth with a valid session, as nginx/Traefik ask) on their own, then
// while argon2id logins run concurrently against the same process. Run: npm run build && node bench/login-latency.mjs
// Everything stays on 127.0.0.1; the run is bounded (a few thousand requests per phase).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../dist/auth/password/hash.js';

const host = 'auth.gatehouse.localhost';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const digest = await hashPassword('password', 'argon2id');
writeFileSync(join(dir, 'users.yml'), `users:\n  john:\n    displayname: John\n    password: '${digest}'\n    email: john@gatehouse.localhost\n`);
writeFileSync(
  join(dir, 'config.yml'),
  [
    'server: {address: "tcp://127.0.0.1:0"}',
    'log: {level: info, format: json}',
    `session: {cookies: [{domain: gatehouse.localhost, portal_url: "http://${host}"}]}`,
    `storage: {encryption_key: bench-encryption-key-0123456789, local: {path: "${join(dir, 'db.sqlite3')}"}}`,
    `authentication_backend: {file: {path: "${join(dir, 'users.yml')}"}}`,
    'regulation: {max_retries: 0}',
    'access_control: {default_policy: deny, rules: [{domain: app.gatehouse.localhost, policy: one_factor}]}',
  ].join('\n'),
);
const server = spawn(process.execPath, ['bin/gatehouse.js', 'serve', '--config', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    const m = /listening on (\S+?)"/.exec(out);
    if (m) resolve(new URL(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
});

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const forwarded = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.gatehouse.localhost', 'x-forwarded-uri': '/' };
function call(method, path, body, cookie, extra = {}) {
  return new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent,
        headers: { host, ...(payload ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}), ...extra },
      },
      (res) => {
        res.resume();
        if (res.statusCode >= 400 && path !== '/api/firstfactor') reject(new Error(`${path} answered ${res.statusCode}`));
        res.on('end', () => resolve(res));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const login = await call('POST', '/api/firstfactor', { username: 'john', password: 'password' });
const cookie = String(login.headers['set-cookie']).split(';')[0];

async function probe(count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await call('GET', '/api/authz/forward-auth', undefined, cookie, forwarded);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99), max: times.at(-1) };
}

await probe(500); // warm-up
const idle = await probe(3000);
let logins = 0;
let running = true;
const loginLoops = Array.from({ length: 4 }, async () => {
  while (running) {
    await call('POST', '/api/firstfactor', { username: 'john', password: 'password' });
    logins++;
  }
});
const loginStart = Date.now();
const busy = await probe(3000);
running = false;
await Promise.all(loginLoops);
const loginRate = logins / ((Date.now() - loginStart) / 1000);

const f = (x) => x.toFixed(2).padStart(7);
console.log('GET /api/authz/forward-auth latency (ms), one client, keep-alive, valid session');
console.log('                         p50      p99      max');
console.log(`idle                 ${f(idle.p50)}  ${f(idle.p99)}  ${f(idle.max)}`);
console.log(`4 argon2id logins    ${f(busy.p50)}  ${f(busy.p99)}  ${f(busy.max)}   (${loginRate.toFixed(1)} logins/s completed meanwhile)`);
console.log(`p99 ratio busy/idle: ${(busy.p99 / idle.p99).toFixed(2)}`);
server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
rmSync(dir, { recursive: true, force: true });
agent.destroy();
