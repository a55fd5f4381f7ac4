import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/config.js';
import { repoRoot, runCli, serve } from '../helpers/cli.js';

function writeConfig(dir: string, extra: { address?: string; key?: string; dbPath?: string } = {}): string {
  const file = join(dir, 'gatehouse.yml');
  writeFileSync(
    file,
    [
      `server: {address: "${extra.address ?? 'tcp://127.0.0.1:0'}"}`,
      'log: {level: info, format: text}',
      'session: {cookies: [{domain: example.com, portal_url: "https://auth.example.com"}]}',
      `storage: {encryption_key: "${extra.key ?? 'a-very-long-test-encryption-key'}", local: {path: "${extra.dbPath ?? 'data/db.sqlite3'}"}}`,
    ].join('\n'),
  );
  return file;
}

describe('gatehouse serve', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('answers /api/health and stops cleanly on %s', async (signal) => {
    const dir = tempDir();
    const served = await serve(['--config', writeConfig(dir)]);
    const reply = await fetch(`${served.url}/api/health`);
    expect(reply.status).toBe(200);
    served.child.kill(signal);
    expect(await served.exited).toBe(0);
    expect(served.output()).toContain('stopped');
  });

  it('runs the shipped example configuration (on a free port, its database in a temporary folder)', async () => {
    const dir = tempDir();
    const example = readFileSync(join(repoRoot, 'config.example.yml'), 'utf8')
      .replace('address: tcp://:9091', 'address: tcp://127.0.0.1:0')
      .replace('path: ./data/db.sqlite3', `path: ${join(dir, 'db.sqlite3')}`)
      .replaceAll('./examples/', `${join(repoRoot, 'examples')}/`)
      .replaceAll('rules/', `${join(repoRoot, 'rules')}/`);
    expect(example).toContain('tcp://127.0.0.1:0');
    const file = join(dir, 'config.yml');
    writeFileSync(file, example);
    const served = await serve(['--config', file]);
    expect((await fetch(`${served.url}/api/health`)).status).toBe(200);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('refuses to start with another encryption key than the database was created with', async () => {
    const dir = tempDir();
    const first = await serve(['--config', writeConfig(dir)]);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const result = await runCli(['serve', '--config', writeConfig(dir, { key: 'another-key-that-is-long-enough' })]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `gatehouse serve: storage.encryption_key: is not the key the database '${join(dir, 'data', 'db.sqlite3')}' was created with`,
    );
  });

  it('names the data folder it cannot create', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-folder'), '');
    const result = await runCli(['serve', '--config', writeConfig(dir, { dbPath: 'not-a-folder/db.sqlite3' })]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`gatehouse serve: storage.local.path: cannot create the folder '${join(dir, 'not-a-folder')}'`);
  });

  it('names the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['serve', '--config', writeConfig(tempDir(), { address: `tcp://127.0.0.1:${port}` })]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `gatehouse serve: server.address: tcp://127.0.0.1:${port} is already in use by another process; stop it or choose another port (EADDRINUSE)\n`,
      );
    } finally {
      blocker.close();
    }
  });
});
