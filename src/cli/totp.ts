import { FileUserBackend } from '../auth/users/file-backend.js';
import { createEnrollment, minimumSecretBytes, parseBase32Secret } from '../auth/totp/enrollment.js';
import { qrTerminal } from '../auth/totp/qr.js';
import { TotpService } from '../auth/totp/totp-service.js';
import { systemClock } from '../shared/clock.js';
import { StartupError } from '../shared/errors.js';
import { systemRandom } from '../shared/random.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/storage.js';
import { configFile, configOption, loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';
import { appVersion } from './version.js';

export const totpHelp = `Usage: gatehouse totp enroll USER [--secret BASE32] [--force] --config FILE

Saves a TOTP key for USER (who must be in the users file), so USER can log in with a second
factor without enrolling in the portal, and prints the secret, its otpauth:// URI and a QR code
to scan with an authenticator app. The key gets the configured totp settings (issuer,
algorithm, digits, period).

Options:
  -c, --config FILE     a configuration file or folder; repeat it, or list FILE,FILE, to merge
                        several in order (default: $GATEHOUSE_CONFIG or $X_AUTHELIA_CONFIG)
  -s, --secret BASE32   use this secret (at least ${minimumSecretBytes} bytes) instead of a new random one
  -f, --force           replace the key USER already has
  -h, --help            show this help
`;

/** `gatehouse totp enroll USER`. */
export async function totpCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'totp',
    args,
    {
      config: configOption,
      secret: { type: 'string', short: 's' },
      force: { type: 'boolean', short: 'f' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(totpHelp);
    return exitCodes.ok;
  }
  const [action, login, ...extra] = positionals;
  if (action !== 'enroll') throw new UsageError(`gatehouse totp: expects 'enroll USER'; run 'gatehouse totp --help'`);
  if (login === undefined || extra.length > 0) throw new UsageError('gatehouse totp enroll: expects exactly one USER');
  const secret = values.secret === undefined ? undefined : readSecret(values.secret);
  const file = configFile('totp', values.config, io.env);
  const config = loadConfigOrReport(file, io)?.config;
  if (!config) return exitCodes.failure;
  const fail = (message: string) => {
    io.stderr.write(`gatehouse totp enroll: ${message}\n`);
    return exitCodes.failure;
  };
  if (config.totp.disable) return fail('TOTP is disabled in the configuration (totp.disable: true)');
  const backendConfig = config.authenticationBackend?.file;
  if (!backendConfig) return fail('the configuration has no authentication_backend.file, so there are no users');
  let storage: Storage | undefined;
  try {
    const users = await FileUserBackend.open({ config: { ...backendConfig, watch: false } });
    const user = await users.find(login);
    if (!user) return fail(`there is no enabled user '${login}' in '${backendConfig.path}'`);
    storage = await openStorage(config.storage, { clock: systemClock, appVersion });
    const service = new TotpService({ config: config.totp, repository: storage.totp, clock: systemClock, random: systemRandom });
    if ((await service.info(user.username)) && !values.force) {
      return fail(`'${user.username}' already has a TOTP key; add --force to replace it`);
    }
    const enrollment = createEnrollment(user.username, config.totp, systemRandom, secret);
    await service.save(enrollment);
    io.stdout.write(
      `Saved a TOTP key for '${user.username}' (${enrollment.algorithm}, ${enrollment.digits} digits, ${enrollment.period}s).\n` +
        `Secret: ${enrollment.secret}\nURI:    ${enrollment.uri}\n\n${await qrTerminal(enrollment.uri)}\n`,
    );
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof StartupError) return fail(error.message);
    throw error;
  } finally {
    await storage?.close();
  }
}

function readSecret(text: string): Buffer {
  const secret = parseBase32Secret(text);
  if (!secret) throw new UsageError('gatehouse totp enroll: --secret must be base32 (letters A-Z and digits 2-7)');
  if (secret.length < minimumSecretBytes) {
    throw new UsageError(
      `gatehouse totp enroll: --secret must be at least ${minimumSecretBytes} bytes (${Math.ceil((minimumSecretBytes * 8) / 5)} base32 characters) but is ${secret.length} bytes`,
    );
  }
  return secret;
}
