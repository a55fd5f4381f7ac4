import { autheliaDifferences } from '../config/authelia-differences.js';
import { splitConfigPaths } from '../config/sources.js';
import { configFile, configOption, loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';

export const validateConfigHelp = `Usage: gatehouse validate-config --config FILE
       gatehouse validate-config --from-authelia FILE

Checks a configuration file and prints every problem found, each with the dotted path of
its key, or "configuration is valid". Exits 1 when there is a problem.

With --from-authelia, the file is one written for Authelia: the same problems are printed,
then one line for each thing that loads but behaves differently in Gatehouse, with the key
that restores Authelia's behaviour where there is one (docs/migrating-from-authelia.md).

Options:
  -c, --config FILE          a configuration file or folder; repeat it, or list FILE,FILE, to
                             merge several in order (default: $GATEHOUSE_CONFIG or $X_AUTHELIA_CONFIG)
      --from-authelia FILE   an Authelia configuration file (or several, as with --config)
  -h, --help                 show this help
`;

/** `gatehouse validate-config`. */
export async function validateConfigCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('validate-config', args, {
    config: configOption,
    'from-authelia': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(validateConfigHelp);
    return exitCodes.ok;
  }
  const authelia = values['from-authelia'];
  if (authelia !== undefined && values.config !== undefined) {
    throw new UsageError('gatehouse validate-config: give --config or --from-authelia, not both');
  }
  const files = authelia === undefined ? configFile('validate-config', values.config, io.env) : splitConfigPaths(authelia);
  const loaded = loadConfigOrReport(files, io);
  if (!loaded) return exitCodes.failure;
  for (const warning of loaded.warnings) io.stderr.write(`warning: ${warning}\n`);
  io.stdout.write('configuration is valid\n');
  if (authelia !== undefined) {
    const differences = autheliaDifferences(loaded.config);
    io.stdout.write(`\nWhat differs from Authelia (${differences.length}):\n${differences.map((line) => `  - ${line}\n`).join('')}`);
  }
  return exitCodes.ok;
}
