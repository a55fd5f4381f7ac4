import { createLogger } from '../server/logger.js';
import { startGateway } from '../server/gateway.js';
import { checkClock } from '../server/ntp-check.js';
import { systemClock } from '../shared/clock.js';
import { StartupError } from '../shared/errors.js';
import { configFile, configOption, loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, exitCodes } from './io.js';
import { appVersion } from './version.js';

export const serveHelp = `Usage: gatehouse serve --config FILE

Runs the gateway. Ready when GET /api/health answers 200. SIGTERM or SIGINT stops it
gracefully: no new connections, requests in flight finish, storage closes, exit 0.

Options:
  -c, --config FILE   a configuration file or folder; repeat it, or list FILE,FILE, to merge
                      several in order (default: $GATEHOUSE_CONFIG or $X_AUTHELIA_CONFIG)
  -h, --help          show this help
`;

/** `gatehouse serve`: resolves with the exit code once the gateway has stopped. */
export async function serveCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('serve', args, {
    config: configOption,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(serveHelp);
    return exitCodes.ok;
  }
  const file = configFile('serve', values.config, io.env);
  const loaded = loadConfigOrReport(file, io);
  if (!loaded) return exitCodes.failure;
  const { config, warnings } = loaded;
  const logger = createLogger(config.log);
  for (const warning of warnings) logger.warn(`configuration: ${warning}`);
  // Signal handlers go in before starting, so a signal that arrives during start-up still
  // ends in a clean shutdown rather than the default abrupt exit.
  let received: NodeJS.Signals | undefined;
  let stop: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal;
    stop?.();
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  const removeHandlers = () => process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    await checkClock(config.ntp, { clock: systemClock, log: logger });
    gateway = await startGateway(config, { logger, appVersion });
  } catch (error) {
    removeHandlers();
    if (!(error instanceof StartupError)) throw error;
    logger.fatal(error.message);
    io.stderr.write(`gatehouse serve: ${error.message}\n`);
    return exitCodes.failure;
  }
  return new Promise((resolve) => {
    stop = () => {
      stop = undefined;
      removeHandlers();
      logger.info(`received ${received}`);
      gateway.close().then(
        () => resolve(exitCodes.ok),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(exitCodes.failure);
        },
      );
    };
    if (received) stop();
  });
}
