import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// End to end: the built CLI (bin/gatehouse.js → dist/, built by `npm test`'s pretest), as a user runs it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-cli-rules-'));

function gatehouse(args: string[], cwd = root) {
  const run = spawnSync(process.execPath, [join(root, 'bin/gatehouse.js'), ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  writeFileSync(
    join(folder, 'failing.yml'),
    [
      'rules:',
      '  - {domain: app.example.com, policy: one_factor}',
      'tests:',
      '  - {url: "https://app.example.com/", expect: one_factor}',
      '  - {name: wrong, url: "https://app.example.com/x", user: bob, ip: 10.0.0.7, expect: forbidden}',
      '  - {url: "https://other.example.com/", expect: bypass}',
    ].join('\n'),
  );
  writeFileSync(join(folder, 'invalid.yml'), 'rules:\n  - {domain: app.example.com, policy: allow}\n');
});

describe('gatehouse rules test', () => {
  it('passes the demo configuration and its policy files', () => {
    const run = gatehouse(['rules', 'test', '--config', 'config.example.yml']);
    expect(run.stdout).toMatch(/^rules\/example\.yml: \d+ cases passed\n$/);
    expect(run.status).toBe(0);
  });

  it('runs a policy file alone', () => {
    const run = gatehouse(['rules', 'test', 'rules/example.yml']);
    expect(run.stdout).toMatch(/^rules\/example\.yml: \d+ cases passed\n$/);
    expect(run.status).toBe(0);
  });

  it('prints each failure with the expected and actual result and the deciding rule, exit 1', () => {
    const run = gatehouse(['rules', 'test', 'failing.yml'], folder);
    expect(run.stdout).toBe(
      [
        'FAIL failing.yml:tests[1] (wrong): GET https://app.example.com/x as user bob from 10.0.0.7: expected forbidden, got allow (policy one_factor), decided by failing.yml:rules[0]',
        'FAIL failing.yml:tests[2]: GET https://other.example.com/ as anonymous: expected bypass, got deny, decided by default_policy',
        'failing.yml: 2 of 3 cases failed',
        '',
      ].join('\n'),
    );
    expect(run.status).toBe(1);
  });

  it('reports an invalid policy file, exit 1', () => {
    const run = gatehouse(['rules', 'test', 'invalid.yml'], folder);
    expect(run.stderr).toContain("invalid.yml:rules[0].policy: must be one of 'bypass', 'one_factor', 'two_factor', 'deny' but is 'allow'");
    expect(run.status).toBe(1);
  });

  it('is a usage error without files or configuration, exit 2', () => {
    const run = gatehouse(['rules', 'test'], folder);
    expect(run.stderr).toBe('gatehouse rules test: needs policy FILES, or --config FILE to test its rules_files\n');
    expect(run.status).toBe(2);
  });

  it('rejects an unknown option, exit 2', () => {
    const run = gatehouse(['rules', 'test', '--bogus']);
    expect(run.stderr).toContain("gatehouse rules test: unknown option '--bogus'");
    expect(run.status).toBe(2);
  });
});

describe('gatehouse rules explain', () => {
  it('prints every rule with the first failing criterion, the decision and the outcome', () => {
    const run = gatehouse([
      'rules',
      'explain',
      '--config',
      'config.example.yml',
      '--url',
      'http://admin.gatehouse.localhost:9091/x/../users',
      '--user',
      'bob',
      '--groups',
      'dev',
      '--ip',
      '10.0.0.7',
    ]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'request: GET http://admin.gatehouse.localhost:9091/x/../users',
      'subject: user bob groups [dev] from 10.0.0.7, level two_factor',
      'normalised: admin.gatehouse.localhost /users',
    ]);
    expect(run.stdout).toMatch(/access_control\.rules\[0\] +bypass +no +domain: 'admin\.gatehouse\.localhost' does not match 'auth\.gatehouse\.localhost'/);
    expect(run.stdout).toMatch(/rules\/example\.yml:rules\[1\] +bypass +no +resources: '\/users' does not match '\^\/healthz\$'/);
    expect(run.stdout).toMatch(
      /rules\/example\.yml:rules\[2\] +two_factor +no +subject: user:bob, group:dev does not match group:admins \| user:john and group:dev/,
    );
    expect(run.stdout).toMatch(/rules\/example\.yml:rules\[3\] +deny +MATCH {2}← decides/);
    expect(lines.slice(-3)).toEqual(['decision: deny by rules/example.yml:rules[3]', 'outcome: forbidden', '']);
  });

  it('sends an anonymous request to log in on a subject rule', () => {
    const run = gatehouse(['rules', 'explain', '-c', 'config.example.yml', '--url', 'http://admin.gatehouse.localhost/users']);
    expect(run.stdout).toContain('decision: two_factor by rules/example.yml:rules[2] (the rule depends on who asks)\noutcome: login\n');
    expect(run.status).toBe(0);
  });

  it('shows a refused path', () => {
    const run = gatehouse(['rules', 'explain', '-c', 'config.example.yml', '--url', 'http://app.gatehouse.localhost/a%2Fb']);
    expect(run.stdout).toContain("refused: the path '/a%2Fb' is refused: it contains an encoded slash or backslash ('a%2Fb')\noutcome: forbidden\n");
  });

  it('needs --url, exit 2', () => {
    const run = gatehouse(['rules', 'explain', '--config', 'config.example.yml']);
    expect(run.stderr).toBe('gatehouse rules explain: needs --url URL\n');
    expect(run.status).toBe(2);
  });

  it('rejects a bad level, exit 2', () => {
    const run = gatehouse(['rules', 'explain', '-c', 'config.example.yml', '--url', 'http://a/', '--level', 'three']);
    expect(run.stderr).toBe("gatehouse rules explain: --level must be one of none, one_factor, two_factor but is 'three'\n");
    expect(run.status).toBe(2);
  });
});
