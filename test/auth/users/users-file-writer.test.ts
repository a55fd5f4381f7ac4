import { chmodSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsersFileWriteError, setUserDigest } from '../../../src/auth/users/users-file-writer.js';
import { parseUsersFile } from '../../../src/auth/users/users-file.js';
import { tempDir } from '../../helpers/config.js';
import { vectors } from '../../fixtures/users/vectors.js';

const oldDigest = vectors.pbkdf2Sha256;
const newDigest = vectors.argon2id;

const original = [
  '# Users of example.com — managed by hand, keep sorted by arrival.',
  '---',
  'users:',
  '',
  '    # The first admin.',
  '    john:',
  '        displayname: "John Doe"   # shown on the portal',
  `        password: "${oldDigest}"`,
  '        email: john@example.com',
  '        groups:',
  '            - admins',
  '            - dev',
  '        extra: {team: blue, since: 2019}',
  '',
  '    harry:',
  '        disabled: true',
  `        password: '${oldDigest}' # rotated 2024-01`,
  '        displayname: Harry',
  '        groups: [dev]',
  `    zoe: {displayname: Zoe, password: '${oldDigest}'}`,
  '',
].join('\n');

function usersFile(text = original): { dir: string; path: string } {
  const dir = tempDir();
  const path = join(dir, 'users_database.yml');
  writeFileSync(path, text);
  return { dir, path };
}

function digestsRead(path: string): Record<string, string> {
  const outcome = parseUsersFile(readFileSync(path, 'utf8'), { email: false, caseInsensitive: false });
  if (!outcome.ok) throw new Error(`the reader refused the file: ${outcome.problems.join('; ')}`);
  return Object.fromEntries([...outcome.database.users].map(([name, user]) => [name, user.digest]));
}

async function refusal(promise: Promise<unknown>): Promise<UsersFileWriteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UsersFileWriteError)) throw new Error(`expected a UsersFileWriteError, got ${String(error)}`);
  expect(error.code).toBe('GH_USERS_FILE_WRITE');
  return error;
}

describe('setUserDigest', () => {
  it('replaces only the digest: comments, blank lines, indentation, quoting, other users and fields stay byte for byte', async () => {
    const { path } = usersFile();
    await setUserDigest(path, 'john', newDigest);
    expect(readFileSync(path, 'utf8')).toBe(original.replace(`password: "${oldDigest}"`, `password: "${newDigest}"`));
    expect(digestsRead(path)).toEqual({ john: newDigest, harry: oldDigest, zoe: oldDigest });
  });

  it('changes a disabled user, keeping single quotes and the comment after the value', async () => {
    const { path } = usersFile();
    await setUserDigest(path, 'harry', newDigest);
    expect(readFileSync(path, 'utf8')).toContain(`        password: '${newDigest}' # rotated 2024-01\n        displayname: Harry\n`);
    expect(digestsRead(path)).toEqual({ john: oldDigest, harry: newDigest, zoe: oldDigest });
  });

  it('changes a user written as a flow mapping, quoting a digest whose commas plain style cannot hold there', async () => {
    const { path } = usersFile(original.replace(`zoe: {displayname: Zoe, password: '${oldDigest}'}`, `zoe: {displayname: Zoe, password: ${oldDigest}}`));
    await setUserDigest(path, 'zoe', newDigest);
    expect(readFileSync(path, 'utf8')).toContain(`    zoe: {displayname: Zoe, password: '${newDigest}'}\n`);
    expect(digestsRead(path).zoe).toBe(newDigest);
  });

  it('keeps the file mode', async () => {
    const { path } = usersFile();
    chmodSync(path, 0o660);
    await setUserDigest(path, 'john', newDigest);
    expect(statSync(path).mode & 0o7777).toBe(0o660);
  });

  it('applies the change to an edit made between its read and its rename, keeping both', async () => {
    const { dir, path } = usersFile();
    const calls: number[] = [];
    await setUserDigest(path, 'john', newDigest, {
      afterRead: (attempt) => {
        calls.push(attempt);
        if (attempt === 1) writeFileSync(path, readFileSync(path, 'utf8').replace('displayname: Harry', 'displayname: Harry Potter'));
      },
    });
    expect(calls).toEqual([1, 2]);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('displayname: Harry Potter');
    expect(digestsRead(path)).toEqual({ john: newDigest, harry: oldDigest, zoe: oldDigest });
    expect(readdirSync(dir)).toEqual(['users_database.yml']);
  });

  it('gives up on a file that keeps changing, asking to retry, with the last edit in place', async () => {
    const { dir, path } = usersFile();
    const error = await refusal(
      setUserDigest(path, 'john', newDigest, {
        attempts: 3,
        afterRead: (attempt) => writeFileSync(path, `${readFileSync(path, 'utf8')}# edit ${attempt}\n`),
      }),
    );
    expect(error.reason).toBe('changing');
    expect(error.message).toBe(
      `cannot change the password of 'john' in the users file '${path}': the file changed while it was being written, 3 times in a row; nothing was written, try again`,
    );
    expect(readFileSync(path, 'utf8')).toBe(`${original}# edit 1\n# edit 2\n# edit 3\n`);
    expect(readdirSync(dir)).toEqual(['users_database.yml']);
  });

  it('refuses an unknown user and leaves the file byte for byte', async () => {
    const { dir, path } = usersFile();
    const before = readFileSync(path);
    const error = await refusal(setUserDigest(path, 'mallory', newDigest));
    expect(error.reason).toBe('unknown-user');
    expect(error.message).toBe(`cannot change the password of 'mallory' in the users file '${path}': there is no such user in the file`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['users_database.yml']);
  });

  it('refuses a digest in no supported format', async () => {
    const { path } = usersFile();
    const error = await refusal(setUserDigest(path, 'john', 'hunter2'));
    expect(error.reason).toBe('invalid-digest');
    expect(readFileSync(path, 'utf8')).toBe(original);
  });

  it('refuses a file the reader refuses, naming its problems', async () => {
    const { path } = usersFile(original.replace('        displayname: Harry\n', ''));
    const error = await refusal(setUserDigest(path, 'john', newDigest));
    expect(error.reason).toBe('unsupported-file');
    expect(error.message).toContain('the file has problems, fix them first: users.harry.displayname: must be set');
  });

  it('refuses an edit that would change another user through a YAML anchor', async () => {
    const text = ['users:', '  john: &same', '    displayname: John', `    password: '${oldDigest}'`, '  twin: *same', ''].join('\n');
    const { path } = usersFile(text);
    const error = await refusal(setUserDigest(path, 'john', newDigest));
    expect(error.message).toContain('would change more than it (is it shared through a YAML anchor?)');
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('names the file and the cause when its folder was removed before the write', async () => {
    const { dir, path } = usersFile();
    const error = await refusal(setUserDigest(path, 'john', newDigest, { afterRead: () => rmSync(dir, { recursive: true }) }));
    expect(error.reason).toBe('io');
    expect(error.message).toBe(`cannot change the password of 'john' in the users file '${path}': cannot replace it: there is no such file (ENOENT)`);
  });

  it('leaves the file intact and no temporary file behind when writing the temporary file fails', async () => {
    const { dir, path } = usersFile();
    const opened: string[] = [];
    const diskFull = async (file: string, flags: string, mode: number): Promise<FileHandle> => {
      const handle = await open(file, flags, mode);
      opened.push(file);
      handle.writeFile = async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
      return handle;
    };
    const error = await refusal(setUserDigest(path, 'john', newDigest, { open: diskFull as typeof open }));
    expect(error.reason).toBe('io');
    expect(error.message).toContain(`'${path}': cannot replace it: ENOSPC: no space left on device`);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(/\/\.users_database\.yml\.[0-9a-f]{12}\.tmp$/);
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(readdirSync(dir)).toEqual(['users_database.yml']);
  });
});
