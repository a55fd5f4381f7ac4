import { open as openFile, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import jsYaml from 'js-yaml';
import { Scalar, isMap, isScalar, parseDocument } from 'yaml';
import { fsReason } from '../../config/reader.js';
import { GatehouseError } from '../../shared/errors.js';
import { isSupportedDigest } from '../../shared/password-digest.js';
import { type Random, systemRandom } from '../../shared/random.js';
import { parseUsersFile } from './users-file.js';

/** Why a digest could not be written: `changing` is the only one worth retrying as is. */
export type UsersFileWriteReason = 'unknown-user' | 'invalid-digest' | 'unsupported-file' | 'changing' | 'io';

/** The users file was left as it was: `GH_USERS_FILE_WRITE`, with `file`, `username` and `reason`. */
export class UsersFileWriteError extends GatehouseError {
  readonly file: string;
  readonly username: string;
  readonly reason: UsersFileWriteReason;

  constructor(file: string, username: string, reason: UsersFileWriteReason, detail: string, cause?: unknown) {
    super('GH_USERS_FILE_WRITE', `cannot change the password of '${username}' in the users file '${file}': ${detail}`, { cause });
    this.file = file;
    this.username = username;
    this.reason = reason;
  }
}

export interface SetUserDigestOptions {
  /** Names the temporary file; default {@link systemRandom}. */
  readonly random?: Random;
  /** Read-compare-rename rounds before giving up on a file that keeps changing; default 5. */
  readonly attempts?: number;
  /** Opens the temporary file (tests pass one that fails); default `fs/promises` `open`. */
  readonly open?: typeof openFile;
  /** Called after each read of the file, before the temporary file is written (tests edit the file here). */
  readonly afterRead?: (attempt: number) => void | Promise<void>;
}

/**
 * Sets `users.<username>.password` to `digest` in the Authelia `users_database.yml` at `path`.
 *
 * Only the characters of the old digest's scalar are replaced (its quoting kept when the new digest
 * allows it): every other byte — comments, blank lines, indentation, other users and fields, their
 * order and quoting — stays as it was. The result is checked to mean exactly the old document
 * with the one digest changed (as the reader, js-yaml's core schema, sees it) before anything is written.
 *
 * The file is replaced atomically: a temporary file next to it (same mode and, where permitted,
 * owner) is written and fsynced, renamed over it, then the folder is fsynced. If the file changed
 * since it was read (an editor, a second reset), the change is applied to the new content and
 * tried again, up to `attempts` times.
 *
 * @throws UsersFileWriteError (`GH_USERS_FILE_WRITE`) naming the file and the cause: the user is not
 *   in the file (disabled users are), the digest is not a supported one, the file cannot be read, does
 *   not pass the reader or cannot be edited without changing anything else, it kept changing
 *   (`reason: 'changing'`: retry), or a filesystem call failed. The file is then unchanged and no
 *   temporary file is left — except when only the final folder fsync failed (the message says so).
 */
export async function setUserDigest(path: string, username: string, digest: string, options: SetUserDigestOptions = {}): Promise<void> {
  const fail = (reason: UsersFileWriteReason, detail: string, cause?: unknown) => new UsersFileWriteError(path, username, reason, detail, cause);
  if (!isSupportedDigest(digest)) throw fail('invalid-digest', 'the new digest is not in a supported format (see gatehouse hash-password)');
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const read = await readOriginal(path).catch((error: unknown) => {
      throw fail('io', `cannot read it: ${fsReason(error)}`, error);
    });
    const text = replaceDigest(read.bytes.toString('utf8'), username, digest, fail);
    await options.afterRead?.(attempt);
    if (await replaceIfUnchanged(path, read, text, options, fail)) {
      await syncFolder(dirname(path)).catch((error: unknown) => {
        throw fail('io', `the new digest is in place but the folder could not be synced, so it may not survive a crash: ${fsReason(error)}`, error);
      });
      return;
    }
  }
  throw fail('changing', `the file changed while it was being written, ${attempts} times in a row; nothing was written, try again`);
}

interface Original {
  readonly bytes: Buffer;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

async function readOriginal(path: string): Promise<Original> {
  const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
  return { bytes, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
}

/**
 * `text` with the scalar of `users.<username>.password` replaced by `digest`, nothing else touched.
 * Refuses what the reader refuses, an unknown user, and any edit the reader would see as more than that.
 */
function replaceDigest(text: string, username: string, digest: string, fail: (reason: UsersFileWriteReason, detail: string) => Error): string {
  const parsed = parseUsersFile(text, { email: false, caseInsensitive: false });
  if (!parsed.ok) throw fail('unsupported-file', `the file has problems, fix them first: ${parsed.problems.join('; ')}`);
  if (!parsed.database.users.has(username)) throw fail('unknown-user', `there is no such user in the file`);
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw fail('unsupported-file', `the YAML library cannot edit it: ${document.errors[0]?.message}`);
  const user = entry(entry(document.contents, 'users'), username);
  const password = entry(user, 'password');
  if (!isMap(user) || !isScalar(password) || !password.range) {
    throw fail('unsupported-file', `users.${username}.password is not a plain value (an alias?); change it by hand`);
  }
  const [start, end] = password.range;
  const edited = text.slice(0, start) + scalarText(digest, password.type, user.flow === true) + text.slice(end);
  const expected = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) as { users: Record<string, Record<string, unknown>> };
  expected.users[username] = { ...expected.users[username], password: digest };
  if (!isDeepStrictEqual(jsYaml.load(edited, { schema: jsYaml.CORE_SCHEMA }), expected)) {
    throw fail('unsupported-file', `replacing users.${username}.password would change more than it (is it shared through a YAML anchor?); change it by hand`);
  }
  return edited;
}

/** The value of `key` in a YAML mapping node, compared as the reader does (keys as strings). */
function entry(node: unknown, key: string): unknown {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key)?.value;
}

/** The digest as a YAML scalar: in the old one's quoting when it is safe, single-quoted otherwise. */
function scalarText(digest: string, type: Scalar['type'], inFlow: boolean): string {
  if (type === Scalar.QUOTE_DOUBLE) return JSON.stringify(digest);
  // Plain when it was plain and cannot be read otherwise: no indicator first, no ': ' or ' #', no ',' in a flow mapping.
  if (type === Scalar.PLAIN && (inFlow ? /^\$[\w$./=+-]+$/ : /^\$[\w$./=,+-]+$/).test(digest)) return digest;
  return `'${digest.replaceAll("'", "''")}'`;
}

/**
 * Writes `text` to a temporary file beside `path` and renames it over `path` if `path` still holds
 * `original.bytes`. Returns false (temporary file removed) when it does not. The temporary file
 * never outlives a failure.
 */
async function replaceIfUnchanged(
  path: string,
  original: Original,
  text: string,
  options: SetUserDigestOptions,
  fail: (reason: UsersFileWriteReason, detail: string, cause?: unknown) => Error,
): Promise<boolean> {
  const temp = join(dirname(path), `.${basename(path)}.${(options.random ?? systemRandom).bytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await (options.open ?? openFile)(temp, 'wx', original.mode);
    created = true;
    try {
      await handle.chmod(original.mode);
      await handle.chown(original.uid, original.gid).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPERM') throw error;
      });
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The check and the rename are two calls: a writer that replaces the file in between (after
    // our read compares equal, before our rename lands) loses its change. The window is one file
    // read plus one rename (microseconds); closing it needs a lock every writer honours, which
    // editors and Authelia do not take. An editor writing the file in place (not by rename) may
    // also be caught half-way at both reads; the reader-check in replaceDigest refuses most such files.
    if (!(await readFile(path)).equals(original.bytes)) {
      await unlink(temp);
      created = false;
      return false;
    }
    await rename(temp, path);
    created = false;
    return true;
  } catch (error) {
    if (created) await unlink(temp).catch(() => {});
    throw fail('io', `cannot replace it: ${fsReason(error)}`, error);
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await openFile(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
