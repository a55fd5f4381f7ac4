import { parse } from 'bowser';

/** What a session list calls a device whose User-Agent says nothing useful. */
export const unknownDevice = 'Unknown device';

/** A program's own name at the start of a User-Agent (`curl/8.4.0`, `python-requests/2.31`). */
const productToken = /^([A-Za-z][A-Za-z0-9._-]{0,31})(?:\/|\s|$)/;

/**
 * A short, human name for the device a session signed in from, read from its User-Agent:
 * "Chrome on Linux", "Safari on iPhone", "Firefox on Windows"; a program's own name for clients
 * that are not browsers ("curl"); {@link unknownDevice} when there is nothing to go on. For
 * display only: a User-Agent is whatever the client chose to send.
 */
export function deviceName(userAgent: string | undefined): string {
  const agent = userAgent?.trim() ?? '';
  if (agent === '') return unknownDevice;
  const parsed = parse(agent);
  const browser = parsed.browser.name ?? '';
  // An iPhone or iPad says more than "iOS"; elsewhere the operating system is the useful part.
  const model = parsed.os.name === 'iOS' ? parsed.platform.model : undefined;
  const system = model || parsed.os.name || '';
  if (browser && system) return `${browser} on ${system}`;
  if (browser || system) return browser || system;
  return productToken.exec(agent)?.[1] ?? unknownDevice;
}
