import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { ConfigError } from '../shared/errors.js';
import { type CliIO, UsageError } from './io.js';

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

/**
 * Loads the configuration for a command; on a configuration problem prints every problem
 * (as `validate-config` does) and returns undefined, so the command exits 1.
 */
export function loadConfigOrReport(file: string, io: CliIO): LoadedConfig | undefined {
  try {
    return loadConfig(file, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError(file, error));
    return undefined;
  }
}

/** Every problem, one per line, under a heading naming the file. */
export function formatConfigError(file: string, error: ConfigError): string {
  const count = error.problems.length;
  const heading = `configuration '${file}' has ${count} problem${count === 1 ? '' : 's'}:`;
  return `${heading}\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`;
}
