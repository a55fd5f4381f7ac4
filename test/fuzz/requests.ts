import { IncomingMessage } from 'node:http';

type HeaderAdder = { _addHeaderLines(headers: string[], n: number): void };

/**
 * A request as Node's HTTP parser hands it to the listener: `rawHeaders` in order, and `headers`
 * built from them by Node's own rules (a repeated `Host` keeps the first, a repeated
 * `X-Forwarded-Host` is joined with `, `, cookies with `; `). `remoteAddress` is the peer.
 */
export function incoming(options: {
  readonly method?: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly remoteAddress?: string;
  readonly encrypted?: boolean;
}): IncomingMessage {
  const socket = { remoteAddress: options.remoteAddress ?? '127.0.0.1', encrypted: options.encrypted ?? false };
  const req = new IncomingMessage(socket as never);
  const raw = options.headers.flat();
  const adder = req as unknown as Partial<HeaderAdder>;
  if (typeof adder._addHeaderLines !== 'function') throw new Error('this Node version has no IncomingMessage#_addHeaderLines: build requests another way');
  adder._addHeaderLines(raw, raw.length);
  req.method = options.method ?? 'GET';
  req.url = options.url;
  req.complete = true;
  return req;
}
