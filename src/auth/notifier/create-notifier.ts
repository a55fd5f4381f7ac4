import type { NotifierConfig } from '../../config/notifier.js';
import type { Clock } from '../../shared/clock.js';
import { FilesystemNotifier } from './filesystem-notifier.js';
import type { Notifier } from './notifier.js';
import { SmtpNotifier } from './smtp-notifier.js';

/**
 * The notifier `notifier` configures, after its startup check unless `disable_startup_check`.
 * @throws StartupError `GH_NOTIFIER_STARTUP` when the check fails.
 */
export async function createNotifier(config: NotifierConfig, clock: Clock): Promise<Notifier> {
  const notifier = config.kind === 'filesystem' ? new FilesystemNotifier({ filename: config.filesystem.filename, clock }) : new SmtpNotifier(config.smtp);
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
