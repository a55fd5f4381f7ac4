import { hashPasswordCommand } from './hash-password.js';
import { type CliIO, UsageError, exitCodes, processIO } from './io.js';
import { oidcCommand } from './oidc.js';
import { rulesCommand } from './rules.js';
import { serveCommand } from './serve.js';
import { sessionsCommand } from './sessions.js';
import { storageCommand } from './storage.js';
import { totpCommand } from './totp.js';
import { validateConfigCommand } from './validate-config.js';
import { appVersion } from './version.js';

type Command = (args: string[], io: CliIO) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  serve: { run: serveCommand, summary: 'run the gateway' },
  'validate-config': { run: validateConfigCommand, summary: 'check a configuration file and print every problem' },
  'hash-password': { run: hashPasswordCommand, summary: 'print the digest of a password (stdin or prompt)' },
  rules: { run: rulesCommand, summary: 'test policy files (rules test) or explain a decision (rules explain)' },
  totp: { run: totpCommand, summary: 'enrol a user for TOTP second factor (totp enroll USER)' },
  oidc: { run: oidcCommand, summary: 'list or rotate the OpenID Connect signing keys (oidc keys list|rotate)' },
  sessions: { run: sessionsCommand, summary: "list or end a user's sessions, with single logout (sessions list|revoke)" },
  storage: { run: storageCommand, summary: "copy every stored record to another configuration's storage (storage copy)" },
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

The configuration file is given with --config FILE or the GATEHOUSE_CONFIG environment variable.
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
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return exitCodes.usage;
    }
    io.stderr.write(`gatehouse: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return exitCodes.failure;
  }
}
