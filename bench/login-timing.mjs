// Does the password login tell by its timing whether an account exists? Measures POST /api/firstfactor
// with a wrong password for existing users and for unknown names, interleaved one by one, and prints the
// medians, quartiles and their difference. Both paths verify one digest of the configured algorithm and
// cost (test/security/timing.test.ts asserts that); this measures what is left. The users' digests use
// Authelia's default argon2id parameters, which the configuration names explicitly, so the dummy digest
// checked for unknown names costs the same. Each name is tried once, so no account reaches a ban.
// Run: npm run build && node bench/login-timing.mjs [rounds]. Everything stays on 127.0.0.1 and is bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Algorithm, hash } from '@node-rs/argon2';

const rounds = Number(process.argv[2] ?? 150);
const host = 'auth.gatehouse.localhost';
const argon2 = { variant: 'argon2id', iterations: 3, memory: 65536, parallelism: 4 };
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const digest = await hash('the-real-password', {
  algorithm: Algorithm.Argon2id,
  timeCost: argon2.iterations,
  memoryCost: argon2.memory,
  parallelism: argon2.parallelism,
});
const users = Array.from({ length: rounds + 10 }, (_, i) => `user${i}`);
writeFileSync(join(dir, 'users.yml'), `users:\n${users.map((u) => `  ${u}:\n    displayname: ${u}\n    password: '${digest}'\n`).join('')}`);
writeFileSync(
  join(dir, 'config.yml'),
  [
    'server: {address: "tcp://127.0.0.1:0"}',
    'log: {level: info, format: json}',
    `session: {cookies: [{domain: gatehouse.localhost, portal_url: "http://${host}"}]}`,
    `storage: {encryption_key: bench-encryption-key-0123456789, local: {path: "${join(dir, 'db.sqlite3')}"}}`,
    `authentication_backend: {file: {path: "${join(dir, 'users.yml')}", password: {algorithm: argon2, argon2: ${JSON.stringify(argon2)}}}}`,
    'access_control: {default_policy: one_factor}',
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

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function login(username) {
  const body = JSON.stringify({ username, password: 'a-wrong-password' });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/api/firstfactor',
        agent,
        headers: { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const micros = Number(process.hrtime.bigint() - started) / 1000;
          if (res.statusCode !== 401) reject(new Error(`answered ${res.statusCode}: ${Buffer.concat(chunks)}`));
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
  // Warm up both paths (the spare users and unknown names).
  for (let i = 0; i < 10; i++) {
    await login(users[rounds + i]);
    await login(`warm-unknown-${i}`);
  }
  const known = [];
  const unknown = [];
  let sameBody = true;
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so that neither always follows the other.
    let a;
    let b;
    if (i % 2 === 0) {
      a = await login(users[i]);
      b = await login(`nobody-${i}`);
    } else {
      b = await login(`nobody-${i}`);
      a = await login(users[i]);
    }
    known.push(a.micros);
    unknown.push(b.micros);
    sameBody &&= a.body === b.body;
  }
  const ms = (v) => (v / 1000).toFixed(2).padStart(7);
  const row = (name, v) =>
    `${name.padEnd(16)} median ${ms(quantile(v, 0.5))} ms   p25 ${ms(quantile(v, 0.25))}   p75 ${ms(quantile(v, 0.75))}   p90 ${ms(quantile(v, 0.9))}`;
  console.log(`POST /api/firstfactor, wrong password, argon2id t=3 m=64MiB p=4, ${rounds} interleaved pairs (one connection)`);
  console.log(row('existing user', known));
  console.log(row('unknown name', unknown));
  const diff = quantile(known, 0.5) - quantile(unknown, 0.5);
  const spread = quantile(unknown, 0.75) - quantile(unknown, 0.25);
  console.log(
    `median difference ${(diff / 1000).toFixed(2)} ms (interquartile range of one path: ${(spread / 1000).toFixed(2)} ms); same answer body: ${sameBody}`,
  );
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
