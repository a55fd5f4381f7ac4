export type { Notifier, NotificationMessage } from './notifier.js';
export { FilesystemNotifier } from './filesystem-notifier.js';
export { SmtpNotifier } from './smtp-notifier.js';
export { createNotifier } from './create-notifier.js';
