import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import { GatehouseError, StartupError } from '../../shared/errors.js';
import type { NotificationMessage, Notifier } from './notifier.js';

/**
 * Appends each message to a file (`notifier.filesystem.filename`), for demos and tests: the
 * person running Gatehouse reads the codes there. The folder is created when missing.
 */
export class FilesystemNotifier implements Notifier {
  readonly #filename: string;
  readonly #clock: Clock;

  constructor(options: { readonly filename: string; readonly clock: Clock }) {
    this.#filename = options.filename;
    this.#clock = options.clock;
  }

  async send(message: NotificationMessage): Promise<void> {
    const entry = [
      `Date: ${new Date(this.#clock.now()).toISOString()}`,
      `To: ${message.to}`,
      `Subject: ${message.subject}`,
      '',
      message.text.trimEnd(),
      '',
      '-----',
      '',
      '',
    ].join('\n');
    try {
      await this.#append(entry);
    } catch (cause) {
      throw new GatehouseError('GH_NOTIFIER_SEND', `cannot append to '${this.#filename}': ${(cause as Error).message}`, { cause });
    }
  }

  async startupCheck(): Promise<void> {
    try {
      await this.#append('');
    } catch (cause) {
      throw new StartupError('GH_NOTIFIER_STARTUP', `notifier.filesystem.filename: cannot append to '${this.#filename}': ${(cause as Error).message}`, cause);
    }
  }

  async close(): Promise<void> {}

  async #append(text: string): Promise<void> {
    await mkdir(dirname(this.#filename), { recursive: true });
    await appendFile(this.#filename, text, { mode: 0o600 });
  }
}
