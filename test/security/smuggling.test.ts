/**
 * Attack class 12: request smuggling into the built-in proxy. Raw bytes over a socket (node:net),
 * each hiding `GET /smuggled` behind framing that parsers read differently (CL+TE, obfuscated
 * Transfer-Encoding, obs-fold, bare LF, chunk-size tricks, and the unpatched http-proxy
 * `deleteLength` pass for DELETE/OPTIONS with a chunked body). The upstream records what Node's
 * strict parser reads and every byte it got; it must see each outer request exactly once, whole,
 * and never the smuggled one — not even as bytes a lenient parser would take for a request.
 */
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../proxy/upstream.js';
import { sendHttp, sharedWorld, type World } from './world.js';

const domain = 'gatehouse.localhost';
const smuggled = `GET /smuggled HTTP/1.1\r\nHost: public.${domain}\r\n\r\n`;

/** The request line, Host and `lines`, then `body`: one raw request. */
function raw(w: World, method: string, lines: string[], body = '', path = '/outer'): string {
  return [`${method} ${path} HTTP/1.1`, `Host: public.${domain}:${w.port}`, ...lines, 'Connection: close', '', body].join('\r\n');
}

const chunked = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;

/** [name, request bytes]: each must be refused (400) or passed as one whole request. */
const attacks: [string, (w: World) => string][] = [
  ['CL.TE: Content-Length and Transfer-Encoding together', (w) => raw(w, 'POST', ['Content-Length: 5', 'Transfer-Encoding: chunked'], `0\r\n\r\n${smuggled}`)],
  [
    'TE.CL: chunked, with a Content-Length covering the smuggled request',
    (w) => raw(w, 'POST', ['Transfer-Encoding: chunked', `Content-Length: ${4 + smuggled.length}`], `0\r\n\r\n${smuggled}`),
  ],
  ['Transfer-Encoding: xchunked + Content-Length', (w) => raw(w, 'POST', ['Transfer-Encoding: xchunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`)],
  ['Transfer-Encoding: xchunked alone', (w) => raw(w, 'POST', ['Transfer-Encoding: xchunked'], `0\r\n\r\n${smuggled}`)],
  [
    'Transfer-Encoding: " chunked" (leading space) + Content-Length',
    (w) => raw(w, 'POST', ['Transfer-Encoding:  chunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`),
  ],
  ['Transfer-Encoding: chunked, identity', (w) => raw(w, 'POST', ['Transfer-Encoding: chunked, identity'], `0\r\n\r\n${smuggled}`)],
  [
    'Transfer-Encoding: identity, chunked + Content-Length',
    (w) => raw(w, 'POST', ['Transfer-Encoding: identity, chunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`),
  ],
  [
    'Transfer-Encoding twice (chunked, then identity)',
    (w) => raw(w, 'POST', ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], `0\r\n\r\n${smuggled}`),
  ],
  ['Transfer-Encoding with a tab before the value', (w) => raw(w, 'POST', ['Transfer-Encoding:\tchunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`)],
  ['Transfer-Encoding with a space before the colon', (w) => raw(w, 'POST', ['Transfer-Encoding : chunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`)],
  ['Transfer-Encoding: chunk (truncated)', (w) => raw(w, 'POST', ['Transfer-Encoding: chunk'], `0\r\n\r\n${smuggled}`)],
  ['Transfer-Encoding: "chunked" (quoted)', (w) => raw(w, 'POST', ['Transfer-Encoding: "chunked"'], `0\r\n\r\n${smuggled}`)],
  [
    'obs-fold: Transfer-Encoding folded onto a second line',
    (w) => raw(w, 'POST', ['Transfer-Encoding: identity', ' chunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`),
  ],
  [
    'obs-fold: a header folding into Transfer-Encoding',
    (w) => raw(w, 'POST', ['X-Fold: a', ' Transfer-Encoding: chunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`),
  ],
  ['two Content-Lengths that differ', (w) => raw(w, 'POST', ['Content-Length: 5', `Content-Length: ${5 + smuggled.length}`], `hello${smuggled}`)],
  ['Content-Length: 5, 40 (a list)', (w) => raw(w, 'POST', [`Content-Length: 5, ${5 + smuggled.length}`], `hello${smuggled}`)],
  ['Content-Length: +5', (w) => raw(w, 'POST', ['Content-Length: +5'], `hello${smuggled}`)],
  ['Content-Length: 0x5', (w) => raw(w, 'POST', ['Content-Length: 0x5'], `hello${smuggled}`)],
  ['Content-Length: -1', (w) => raw(w, 'POST', ['Content-Length: -1'], `hello${smuggled}`)],
  ['a chunk size with a 0x prefix', (w) => raw(w, 'POST', ['Transfer-Encoding: chunked'], `0x5\r\nhello\r\n0\r\n\r\n${smuggled}`)],
  ['a chunk size with a leading +', (w) => raw(w, 'POST', ['Transfer-Encoding: chunked'], `+5\r\nhello\r\n0\r\n\r\n${smuggled}`)],
  ['a chunk size that overflows 64 bits', (w) => raw(w, 'POST', ['Transfer-Encoding: chunked'], `10000000000000005\r\nhello\r\n0\r\n\r\n${smuggled}`)],
  ['a chunk extension hiding a size (5;x=1)', (w) => raw(w, 'POST', ['Transfer-Encoding: chunked'], `5;x=${'a'.repeat(10)}\r\nhello\r\n0\r\n\r\n`)],
  ['bare LF line endings in the chunked body', (w) => raw(w, 'POST', ['Transfer-Encoding: chunked'], `5\nhello\n0\n\n${smuggled}`)],
  [
    'bare LF ending a header line',
    (w) =>
      `POST /outer HTTP/1.1\r\nHost: public.${domain}:${w.port}\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nConnection: close\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  ['a bare CR inside a header value', (w) => raw(w, 'POST', ['X-Evil: a\rTransfer-Encoding: chunked', 'Content-Length: 5'], `0\r\n\r\n${smuggled}`)],
  ['DELETE with a chunked body (http-proxy #1720/#1721, CVE-2026-29057)', (w) => raw(w, 'DELETE', ['Transfer-Encoding: chunked'], chunked(smuggled))],
  ['OPTIONS with a chunked body (http-proxy #1720/#1721)', (w) => raw(w, 'OPTIONS', ['Transfer-Encoding: chunked'], chunked(smuggled))],
  ['DELETE with a chunked body and Content-Length: 0', (w) => raw(w, 'DELETE', ['Transfer-Encoding: chunked', 'Content-Length: 0'], chunked(smuggled))],
  ['GET with a Content-Length body', (w) => raw(w, 'GET', [`Content-Length: ${smuggled.length}`], smuggled)],
  ['GET with a chunked body', (w) => raw(w, 'GET', ['Transfer-Encoding: chunked'], chunked(smuggled))],
  ['HEAD with a Content-Length body', (w) => raw(w, 'HEAD', [`Content-Length: ${smuggled.length}`], smuggled)],
  ['Expect: 100-continue with a body', (w) => raw(w, 'POST', ['Expect: 100-continue', `Content-Length: ${smuggled.length}`], smuggled)],
  [
    'an Upgrade: h2c request (h2c smuggling)',
    (w) => raw(w, 'GET', ['Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', 'Connection: Upgrade, HTTP2-Settings'], ''),
  ],
  ['a NUL in a header value', (w) => raw(w, 'POST', ['X-Nul: a\u0000b', `Content-Length: ${smuggled.length}`], smuggled)],
  ['HTTP/1.0 with a body and no length', (w) => `POST /outer HTTP/1.0\r\nHost: public.${domain}:${w.port}\r\n\r\n${smuggled}`],
  [
    'an absolute-form request line naming another host',
    (w) => raw(w, 'POST', [`Content-Length: ${smuggled.length}`], smuggled, `http://app.${domain}:${w.port}/outer`),
  ],
];

describe('request smuggling: http-proxy #1720/#1721 (CVE-2026-29057), GHSA-6x33-pw7p-hmpq, Traefik PR #8319, CL.TE / TE.CL / TE.TE (PortSwigger), h2c smuggling', () => {
  const world = sharedWorld({ domain, upstreams: ['public', 'app', 'deny'] });

  /** Outer requests answered 200 by the gateway so far (each must have reached the upstream once). */
  let passed = 0;

  it('control: a chunked POST and a Content-Length POST pass whole, once each', async () => {
    const w = world();
    const a = await rawExchange(w.port, raw(w, 'POST', ['Transfer-Encoding: chunked'], chunked('hello')));
    const b = await rawExchange(w.port, raw(w, 'POST', ['Content-Length: 5'], 'hello'));
    expect([a.slice(0, 15), b.slice(0, 15)]).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    passed += 2;
    expect(w.upstreams.public!.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/outer', 'hello'],
      ['POST', '/outer', 'hello'],
    ]);
  });

  it.each(attacks)('%s: refused, or one whole request upstream and nothing smuggled', async (_name, bytes) => {
    const w = world();
    const before = w.upstreams.public!.seen.length;
    const reply = await rawExchange(w.port, bytes(w), 3000);
    const statuses = [...reply.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
    // One answer to the one request the client sent (or a 100 Continue before it), never one for /smuggled.
    expect(statuses.filter((s) => s !== 100).length).toBeLessThanOrEqual(1);
    const status = statuses.find((s) => s !== 100) ?? 0;
    expect([0, 200, 400, 403, 404, 411, 413, 431, 501]).toContain(status);
    // A round trip on another connection: the upstream has recorded anything the outer request carried.
    expect((await sendHttp(w, `public.${domain}:${w.port}`, '/probe')).status).toBe(200);
    passed++;
    const seen = w.upstreams.public!.seen.slice(before).filter((s) => s.url !== '/probe');
    // A 200 was proxied once; a refusal proxied nothing — or, when the refusal came from the
    // client connection breaking after the request was read (data after an HTTP/1.0 request),
    // the request itself at most once.
    expect(seen.length).toBe(status === 200 ? 1 : seen.length);
    expect(seen.length).toBeLessThanOrEqual(1);
    for (const s of seen) expect([s.method, s.url]).not.toEqual(['GET', '/smuggled']);
    expect(w.upstreams.app!.seen).toEqual([]);
    expect(w.upstreams.deny!.seen).toEqual([]);
  });

  it('no upstream ever got a request its strict parser refused, nor the bytes of a smuggled request line', () => {
    const w = world();
    expect(w.upstreams.public!.seen.filter((s) => s.method === 'CLIENT-ERROR')).toEqual([]);
    expect(w.upstreams.public!.seen.filter((s) => s.url === '/smuggled')).toEqual([]);
    // The bytes each upstream connection got, read by a parser that honours Content-Length and
    // chunked framing: only outer requests and probes, and no head that a parser preferring one
    // framing header over the other could read differently.
    const framed = w.upstreams.public!.raw.map(framedRequests);
    expect(framed.flatMap((f) => f.lines).filter((line) => !/^[A-Z]+ \/(outer|probe) HTTP\/1\.1$/.test(line))).toEqual([]);
    expect(framed.flatMap((f) => f.ambiguous)).toEqual([]);
    expect(passed).toBeGreaterThan(attacks.length);
  });

  it('pipelined requests are each judged: a denied one behind an allowed one is not forwarded', async () => {
    const w = world();
    const pipelined =
      `GET /first HTTP/1.1\r\nHost: public.${domain}:${w.port}\r\n\r\n` +
      `GET /second HTTP/1.1\r\nHost: deny.${domain}:${w.port}\r\n\r\n` +
      `GET /third HTTP/1.1\r\nHost: app.${domain}:${w.port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`;
    const reply = await rawExchange(w.port, pipelined, 3000);
    expect([...reply.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]))).toEqual([200, 403, 401]);
    expect(w.upstreams.deny!.seen).toEqual([]);
    expect(w.upstreams.app!.seen).toEqual([]);
  });

  it('the gateway still answers /api/health after every attack', async () => {
    const w = world();
    expect((await sendHttp(w, `auth.${domain}`, '/api/health')).status).toBe(200);
  });
});

/**
 * The request lines in one connection's bytes as a parser that honours `Content-Length` and
 * `Transfer-Encoding: chunked` reads them, and the heads whose framing is ambiguous (both
 * headers, or one of them twice).
 */
function framedRequests(stream: string): { lines: string[]; ambiguous: string[] } {
  const lines: string[] = [];
  const ambiguous: string[] = [];
  let at = 0;
  while (at < stream.length) {
    const end = stream.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [line = '', ...fields] = stream.slice(at, end).split('\r\n');
    lines.push(line);
    const named = (name: string) =>
      fields.filter((f) => f.slice(0, f.indexOf(':')).trim().toLowerCase() === name).map((f) => f.slice(f.indexOf(':') + 1).trim());
    const te = named('transfer-encoding');
    const cl = named('content-length');
    if ((te.length > 0 && cl.length > 0) || te.length > 1 || cl.length > 1) ambiguous.push(line);
    at = end + 4;
    if (te.length > 0) {
      for (;;) {
        const sizeEnd = stream.indexOf('\r\n', at);
        if (sizeEnd < 0) return { lines, ambiguous };
        const size = Number.parseInt(stream.slice(at, sizeEnd).split(';')[0]!, 16);
        at = sizeEnd + 2;
        if (!size) {
          at += 2; // the empty line after the last chunk (no trailers are sent)
          break;
        }
        at += size + 2;
      }
    } else if (cl.length > 0) at += Number(cl[0]);
  }
  return { lines, ambiguous };
}
