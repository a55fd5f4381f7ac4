import { configFile, configOption, loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, exitCodes } from './io.js';

export const validateConfigHelp = `Usage: gatehouse validate-config --config FILE

Checks a configuration file and prints every problem found, each with the dotted path of
its key, or "configuration is valid". Exits 1 when there is a problem.

Options:
  -c, --config FILE   a configuration file or folder; repeat it, or list FILE,FILE, to merge
                      several in order (default: $GATEHOUSE_CONFIG or $X_AUTHELIA_CONFIG)
  -h, --help          show this help
`;

/** `gatehouse validate-config`. */
export async function validateConfigCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('validate-config', args, {
    config: configOption,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(validateConfigHelp);
    return exitCodes.ok;
  }
  const file = configFile('validate-config', values.config, io.env);
  const loaded = loadConfigOrReport(file, io);
  if (!loaded) return exitCodes.failure;
  for (const warning of loaded.warnings) io.stderr.write(`warning: ${warning}\n`);
  io.stdout.write('configuration is valid\n');
  return exitCodes.ok;
}
