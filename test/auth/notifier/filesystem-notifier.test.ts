import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemNotifier } from '../../../src/auth/notifier/filesystem-notifier.js';
import { createNotifier } from '../../../src/auth/notifier/create-notifier.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { StartupError } from '../../../src/shared/errors.js';
import { tempDir } from '../../helpers/config.js';

describe('FilesystemNotifier', () => {
  it('appends each message with date, recipient, subject and body, creating the folder', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    const filename = join(tempDir(), 'data', 'notifications.txt');
    const notifier = await createNotifier({ disableStartupCheck: false, kind: 'filesystem', filesystem: { filename } }, clock);
    await notifier.send({ to: 'john@example.com', subject: 'Confirm your identity', text: 'Your code: ABCD2345\n' });
    clock.advance(60_000);
    await notifier.send({ to: 'bob@example.com', subject: 'Second', text: 'Body', html: '<p>Body</p>' });
    expect(readFileSync(filename, 'utf8')).toBe(
      [
        'Date: 2026-01-02T03:04:05.000Z',
        'To: john@example.com',
        'Subject: Confirm your identity',
        '',
        'Your code: ABCD2345',
        '',
        '-----',
        '',
        'Date: 2026-01-02T03:05:05.000Z',
        'To: bob@example.com',
        'Subject: Second',
        '',
        'Body',
        '',
        '-----',
        '',
        '',
      ].join('\n'),
    );
  });

  it('fails its startup check when the file cannot be written', async () => {
    // A path below a regular file fails even for root, unlike a read-only folder.
    const blocker = join(tempDir(), 'file');
    writeFileSync(blocker, '');
    const notifier = new FilesystemNotifier({ filename: join(blocker, 'notifications.txt'), clock: new ManualClock() });
    const error = await notifier.startupCheck().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).message).toMatch(/^notifier\.filesystem\.filename: cannot append to '.*\/file\/notifications\.txt': /);
    await expect(notifier.send({ to: 'a@b.c', subject: 's', text: 't' })).rejects.toMatchObject({ code: 'GH_NOTIFIER_SEND' });
  });
});
