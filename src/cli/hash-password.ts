import { type HashAlgorithm, hashAlgorithms } from '../auth/password/algorithms.js';
import { hashPassword } from '../auth/password/hash.js';
import { parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';

export const hashPasswordHelp = `Usage: gatehouse hash-password [--algorithm ALGORITHM]

Reads a password from standard input (first line) or, on a terminal, from a prompt that
does not echo, and prints its digest for the users file or a client secret. The default is
argon2id with Authelia's parameters (m=65536, t=3, p=4).

Options:
  -a, --algorithm ALGORITHM   one of ${hashAlgorithms.join(', ')}
  -h, --help                  show this help
`;

/** `gatehouse hash-password`. */
export async function hashPasswordCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('hash-password', args, {
    algorithm: { type: 'string', short: 'a', default: 'argon2id' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(hashPasswordHelp);
    return exitCodes.ok;
  }
  const algorithm = values.algorithm as string;
  if (!(hashAlgorithms as readonly string[]).includes(algorithm)) {
    throw new UsageError(`gatehouse hash-password: --algorithm must be one of ${hashAlgorithms.join(', ')} but is '${algorithm}'`);
  }
  const password = io.stdin.isTTY ? await promptTwice(io) : await readFirstLine(io.stdin);
  if (password === undefined) return exitCodes.failure;
  if (password === '') {
    io.stderr.write('gatehouse hash-password: the password is empty\n');
    return exitCodes.failure;
  }
  io.stdout.write(`${await hashPassword(password, algorithm as HashAlgorithm)}\n`);
  return exitCodes.ok;
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function promptTwice(io: CliIO): Promise<string | undefined> {
  const first = await promptHidden(io, 'Password: ');
  const second = await promptHidden(io, 'Confirm password: ');
  if (first !== second) {
    io.stderr.write('gatehouse hash-password: the passwords do not match\n');
    return undefined;
  }
  return first;
}

/** Reads one line from a terminal with echo off. Ctrl-C aborts. */
function promptHidden(io: CliIO, prompt: string): Promise<string> {
  io.stderr.write(prompt);
  const stdin = io.stdin;
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let line = '';
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(() => resolve(line));
        if (char === '\u0003') return done(() => reject(new UsageError('gatehouse hash-password: cancelled')));
        if (char === '\u007f' || char === '\b') line = line.slice(0, -1);
        else line += char;
      }
    };
    const done = (finish: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      finish();
    };
    stdin.on('data', onData);
  });
}
