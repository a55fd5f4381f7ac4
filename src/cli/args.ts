import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a subcommand's arguments strictly: an unknown option or a missing value is a
 * UsageError naming it.
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`gatehouse ${command}: ${message.replace(/^Unknown option/, 'unknown option')}`);
  }
}

/** The configuration file: `--config FILE`, else `GATEHOUSE_CONFIG`. */
export function configFile(command: string, flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const file = flag ?? env.GATEHOUSE_CONFIG;
  if (!file) throw new UsageError(`gatehouse ${command}: needs --config FILE (or the GATEHOUSE_CONFIG environment variable)`);
  return file;
}
