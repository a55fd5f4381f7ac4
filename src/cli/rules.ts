import { type CliIO, UsageError, exitCodes } from './io.js';
import { rulesExplainCommand } from './rules-explain.js';
import { rulesHelp } from './rules-help.js';
import { rulesTestCommand } from './rules-test.js';

/** `gatehouse rules test|explain`. */
export async function rulesCommand(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout.write(rulesHelp);
    return sub === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (sub === 'test') return rulesTestCommand(rest, io);
  if (sub === 'explain') return rulesExplainCommand(rest, io);
  throw new UsageError(`gatehouse rules: unknown subcommand '${sub}'; use 'test' or 'explain'`);
}
