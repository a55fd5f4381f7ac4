/** A message to one person. `subject` is the title; SMTP wraps it in `notifier.smtp.subject`. */
export interface NotificationMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Sends messages to users (identity-check codes, notices). */
export interface Notifier {
  /** @throws GatehouseError `GH_NOTIFIER_SEND` when the message could not be handed over. */
  send(message: NotificationMessage): Promise<void>;
  /**
   * Checks at startup that messages can be sent (SMTP: connect, TLS, authenticate; filesystem:
   * the file can be appended to).
   * @throws StartupError `GH_NOTIFIER_STARTUP` naming the configuration key.
   */
  startupCheck(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
