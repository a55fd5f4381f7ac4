// Does "Forgot password?" tell by its timing whether an account exists? Measures POST /reset-password
// (the form, as a browser sends it) for existing users with an e-mail address and for unknown names,
// interleaved one by one, and prints the medians, quartiles and their difference. The answer text is
// the same in both cases (test/portal/password-reset.test.ts); the e-mail is sent after the answer.
// Run: npm run build && node bench/reset-timing.mjs [rounds]. Everything stays on 127.0.0.1 and is bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rounds = Number(process.argv[2] ?? 400);
const host = 'auth.gatehouse.localhost';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
// Enough users that the per-account limit (3 per 15 minutes) is never reached.
const users = Array.from({ length: rounds }, (_, i) => `user${i}`);
writeFileSync(
  join(dir, 'users.yml'),
  `users:\n${users.map((u) => `  ${u}:\n    displayname: ${u}\n    password: '$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$Y2hlY2tjaGVja2NoZWNrY2hlY2tjaGVja2NoZWNrY2g'\n    email: ${u}@gatehouse.localhost\n`).join('')}`,
);
writeFileSync(
  join(dir, 'config.yml'),
  [
    // Requests come from "proxies" so that each can name its own client IP (the per-IP limit is 10 per 15 minutes).
    'server: {address: "tcp://127.0.0.1:0", trusted_proxies: [127.0.0.1]}',
    'log: {level: info, format: json}',
    `session: {cookies: [{domain: gatehouse.localhost, portal_url: "http://${host}"}]}`,
    `storage: {encryption_key: bench-encryption-key-0123456789, local: {path: "${join(dir, 'db.sqlite3')}"}}`,
    `authentication_backend: {file: {path: "${join(dir, 'users.yml')}"}}`,
    `notifier: {filesystem: {filename: "${join(dir, 'mail.txt')}"}}`,
    'access_control: {default_policy: one_factor}',
  ].join('\n'),
);
const server = spawn(process.execPath, ['bin/gatehouse.js', 'serve', '--config', join(dir, 'config.yml')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    const m = /listening on (\S+?)"/.exec(out);
    if (m) resolve(new URL(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
});

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let ip = 0;
function reset(username) {
  const body = new URLSearchParams({ username }).toString();
  ip++;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/reset-password',
        agent,
        headers: {
          host,
          origin: `http://${host}`,
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const micros = Number(process.hrtime.bigint() - started) / 1000;
          if (res.statusCode !== 200) reject(new Error(`answered ${res.statusCode}: ${Buffer.concat(chunks)}`));
          else resolve({ micros, body: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

try {
  // Warm up both paths.
  for (let i = 0; i < 20; i++) {
    await reset(`warm-unknown-${i}`);
  }
  const known = [];
  const unknown = [];
  let sameBody = true;
  for (let i = 0; i < rounds; i++) {
    const a = await reset(users[i]);
    const b = await reset(`nobody-${i}`);
    known.push(a.micros);
    unknown.push(b.micros);
    sameBody &&= a.body === b.body;
  }
  const row = (name, v) =>
    `${name.padEnd(16)} median ${quantile(v, 0.5).toFixed(0).padStart(6)} µs   p25 ${quantile(v, 0.25).toFixed(0).padStart(6)}   p75 ${quantile(v, 0.75).toFixed(0).padStart(6)}   p90 ${quantile(v, 0.9).toFixed(0).padStart(6)}`;
  console.log(`POST /reset-password, ${rounds} interleaved pairs (one connection)`);
  console.log(row('existing user', known));
  console.log(row('unknown name', unknown));
  const diff = quantile(known, 0.5) - quantile(unknown, 0.5);
  const spread = quantile(unknown, 0.75) - quantile(unknown, 0.25);
  console.log(`median difference ${diff.toFixed(0)} µs (interquartile range of one path: ${spread.toFixed(0)} µs); same page body: ${sameBody}`);
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
