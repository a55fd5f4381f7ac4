import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { splitConfigPaths } from '../config/sources.js';
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

/**
 * The `--config` option of every subcommand that reads the configuration: repeatable, and each value may
 * list several paths (`a.yml,b.yml`) or folders, as Authelia's `--config` does.
 */
export const configOption = { type: 'string', short: 'c', multiple: true } as const;

/** The variables that may name the configuration paths when `--config` is not given. */
const configVariables = ['GATEHOUSE_CONFIG', 'X_AUTHELIA_CONFIG'] as const;

/**
 * The configuration paths: `--config` (every occurrence, comma-separated lists split), else
 * `GATEHOUSE_CONFIG` or Authelia's `X_AUTHELIA_CONFIG` (comma-separated). As in Authelia, the option
 * wins and the variables are then ignored; both variables set is a UsageError naming them.
 */
export function configFile(command: string, flag: readonly string[] | string | undefined, env: Readonly<Record<string, string | undefined>>): string[] {
  const given = typeof flag === 'string' ? [flag] : (flag ?? []);
  if (given.length > 0) return splitConfigPaths(given);
  const set = configVariables.filter((n) => env[n] !== undefined && env[n] !== '');
  if (set.length > 1) throw new UsageError(`gatehouse ${command}: the configuration is named by both ${set.join(' and ')}; set only one of them`);
  const files = splitConfigPaths([env[set[0] ?? ''] ?? '']);
  if (files.length === 0) throw new UsageError(`gatehouse ${command}: needs --config FILE (or the GATEHOUSE_CONFIG environment variable)`);
  return files;
}

/**
 * Loads the configuration for a command; on a configuration problem prints every problem
 * (as `validate-config` does) and returns undefined, so the command exits 1.
 */
export function loadConfigOrReport(files: string | readonly string[], io: CliIO): LoadedConfig | undefined {
  try {
    return loadConfig(files, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError(typeof files === 'string' ? files : files.join(', '), error));
    return undefined;
  }
}

/** Every problem, one per line, under a heading naming the file (or files, comma-separated). */
export function formatConfigError(file: string, error: ConfigError): string {
  const count = error.problems.length;
  const heading = `configuration '${file}' has ${count} problem${count === 1 ? '' : 's'}:`;
  return `${heading}\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`;
}
