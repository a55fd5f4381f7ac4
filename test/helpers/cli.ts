import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { appendProcessOutput } from '../setup/log-files.js';

/** The built CLI (`npm test` builds dist/ first). */
export const cliPath = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse ARGS` to completion. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...cleanEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The environment without any GATEHOUSE_*, AUTHELIA_* or X_AUTHELIA_* variable of the developer's shell. */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => !/^(?:GATEHOUSE_|AUTHELIA_|X_AUTHELIA_)/.test(e[0]) && e[1] !== undefined),
  );
}

export interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `gatehouse serve` and resolves once it logs the URL it listens on. Killed after the test. */
export async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const served = spawnServe(args, env);
  onTestFinished(() => {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
  });
  return served.listening;
}

/**
 * Starts `gatehouse serve`, leaving its end to the caller (for a process that outlives one test:
 * stop it in `afterAll`); `listening` resolves once it logs the URL it listens on.
 */
export function spawnServe(args: string[], env: Record<string, string> = {}): { child: ChildProcess; listening: Promise<Served> } {
  const child = spawn(process.execPath, [cliPath, 'serve', ...args], {
    cwd: repoRoot,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Its log joins the suite's, which is scanned for secrets at the end of the run (test/setup/log-capture.ts).
  void exited.then(() => appendProcessOutput(output));
  const listening = new Promise<Served>((resolve, reject) => {
    const onData = (chunk: string) => {
      output += chunk;
      const match = /listening on (\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]!.replace('[::]', '[::1]'), output: () => output, exited });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    void exited.then((code) => reject(new Error(`gatehouse serve exited with ${code} before listening:\n${output}`)));
  });
  return { child, listening };
}

/** Runs `gatehouse ARGS` in this process (no build needed) with exactly `env`; returns the exit code and what it printed. */
export async function runMain(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const { main } = await import('../../src/cli/main.js');
  const { PassThrough } = await import('node:stream');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough(), env });
  return { code, stdout: out, stderr: err };
}
