import { type CliIO, UsageError, exitCodes, processIO } from './io.js';
import { appVersion } from './version.js';

type Command = (args: string[], io: CliIO) => Promise<number>;

/**
 * Each command's module is loaded when it runs: `gatehouse serve` never loads what only
 * `storage copy` needs (both database drivers), and the reverse.
 */
const commands: Record<string, { load: () => Promise<Command>; summary: string }> = {
  serve: { load: async () => (await import('./serve.js')).serveCommand, summary: 'run the gateway' },
  'validate-config': {
    load: async () => (await import('./validate-config.js')).validateConfigCommand,
    summary: 'check a configuration file and print every problem',
  },
  'hash-password': { load: async () => (await import('./hash-password.js')).hashPasswordCommand, summary: 'print the digest of a password (stdin or prompt)' },
  rules: {
    load: async () => (await import('./rules.js')).rulesCommand,
    summary: 'test policy files (rules test) or explain a decision (rules explain)',
  },
  totp: { load: async () => (await import('./totp.js')).totpCommand, summary: 'enrol a user for TOTP second factor (totp enroll USER)' },
  oidc: {
    load: async () => (await import('./oidc.js')).oidcCommand,
    summary: 'list or rotate the OpenID Connect signing keys (oidc keys list|rotate)',
  },
  sessions: {
    load: async () => (await import('./sessions.js')).sessionsCommand,
    summary: "list or end a user's sessions, with single logout (sessions list|revoke)",
  },
  storage: {
    load: async () => (await import('./storage.js')).storageCommand,
    summary: "copy every stored record to another configuration's storage (storage copy)",
  },
};

export const mainHelp = `Usage: gatehouse <command> [options]

Gatehouse: authentication gateway, forward-auth target, reverse proxy and OpenID Connect provider.

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(17)}${c.summary}`)
  .join('\n')}

Options:
  -h, --help       show this help (also: gatehouse <command> --help)
  -v, --version    print the version

The configuration is given with --config FILE (repeatable; FILE,FILE and folders merge in order)
or the GATEHOUSE_CONFIG (or Authelia's X_AUTHELIA_CONFIG) environment variable.
`;

/** Runs the CLI; resolves with the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      io.stdout.write(mainHelp);
      return first === undefined ? exitCodes.usage : exitCodes.ok;
    }
    if (first === '-v' || first === '--version' || first === 'version') {
      io.stdout.write(`gatehouse ${appVersion}\n`);
      return exitCodes.ok;
    }
    const command = commands[first];
    if (!command) {
      const kind = first.startsWith('-') ? 'option' : 'command';
      throw new UsageError(`gatehouse: unknown ${kind} '${first}'; run 'gatehouse --help' for the list`);
    }
    return await (await command.load())(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return exitCodes.usage;
    }
    io.stderr.write(`gatehouse: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return exitCodes.failure;
  }
}
