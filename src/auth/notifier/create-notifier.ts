import type { NotifierConfig } from '../../config/notifier.js';
import type { Clock } from '../../shared/clock.js';
import { FilesystemNotifier } from './filesystem-notifier.js';
import type { Notifier } from './notifier.js';

/**
 * The notifier `notifier` configures, after its startup check unless `disable_startup_check`.
 * @throws StartupError `GH_NOTIFIER_STARTUP` when the check fails.
 */
export async function createNotifier(config: NotifierConfig, clock: Clock): Promise<Notifier> {
  // nodemailer is loaded only for an SMTP notifier.
  const notifier =
    config.kind === 'filesystem'
      ? new FilesystemNotifier({ filename: config.filesystem.filename, clock })
      : new (await import('./smtp-notifier.js')).SmtpNotifier(config.smtp);
  if (!config.disableStartupCheck) {
    try {
      await notifier.startupCheck();
    } catch (error) {
      await notifier.close();
      throw error;
    }
  }
  return notifier;
}
