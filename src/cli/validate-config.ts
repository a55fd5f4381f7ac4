import { loadConfig } from '../config/load.js';
import { ConfigError } from '../shared/errors.js';
import { configFile, parseCommandArgs } from './args.js';
import { type CliIO, exitCodes } from './io.js';

export const validateConfigHelp = `Usage: gatehouse validate-config --config FILE

Checks a configuration file and prints every problem found, each with the dotted path of
its key, or "configuration is valid". Exits 1 when there is a problem.

Options:
  -c, --config FILE   the configuration file (default: $GATEHOUSE_CONFIG)
  -h, --help          show this help
`;

/** `gatehouse validate-config`. */
export async function validateConfigCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('validate-config', args, {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(validateConfigHelp);
    return exitCodes.ok;
  }
  const file = configFile('validate-config', values.config, io.env);
  try {
    const { warnings } = loadConfig(file, io.env);
    for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
    io.stdout.write('configuration is valid\n');
    return exitCodes.ok;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError(file, error));
    return exitCodes.failure;
  }
}

/** Every problem, one per line, under a heading naming the file. */
export function formatConfigError(file: string, error: ConfigError): string {
  const count = error.problems.length;
  const heading = `configuration '${file}' has ${count} problem${count === 1 ? '' : 's'}:`;
  return `${heading}\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`;
}
