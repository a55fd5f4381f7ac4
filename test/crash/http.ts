import { request } from 'node:http';

/** A complete answer: the status, the headers and the whole body. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** What a request sends; `host` is the `Host` header (the gateway is reached at its loopback port). */
export interface Ask {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * One HTTP request to `target` (the gateway's `http://127.0.0.1:PORT`), on a connection of its
 * own, keeping the URL's host in `Host`. Resolves only once the whole body has arrived: a
 * connection refused, reset or cut mid-answer (the gateway killed) rejects, so that a caller
 * records only what it really received.
 */
export function send(target: URL, ask: Ask): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(ask.url);
    const headers: Record<string, string> = { ...ask.headers, host: url.host, connection: 'close' };
    if (ask.body !== undefined) headers['content-length'] = String(Buffer.byteLength(ask.body));
    const req = request({ host: target.hostname, port: target.port, method: ask.method ?? 'GET', path: url.pathname + url.search, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('answer cut short')));
      res.on('end', () => {
        if (!res.complete) return reject(new Error('answer cut short'));
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) out.append(name, String(v));
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(ask.body);
  });
}

/** `send` as a `fetch` for openid-client (`customFetch`): the same all-or-nothing answers. */
export function fetchVia(target: () => URL) {
  return async (url: string | URL, init: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown } = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const answer = await send(target(), { method: init.method ?? 'GET', url: String(url), headers, ...(body === undefined ? {} : { body }) });
    const empty = answer.status === 204 || answer.status === 304;
    return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
  };
}
