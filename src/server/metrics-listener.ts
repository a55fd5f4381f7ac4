import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MetricsConfig } from '../config/telemetry.js';
import { StartupError } from '../shared/errors.js';
import type { Metrics } from './metrics.js';

/** The metrics exporter's own listener, running. */
export interface MetricsListener {
  /** Where Prometheus scrapes: `http://127.0.0.1:9959/metrics`, or `unix:/path` for a socket. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the metrics on their own listener (`telemetry.metrics.address`), never on the portal's:
 * - `GET|HEAD <path>` (default `/metrics`) → 200, Prometheus text format 0.0.4;
 * - another method on that path → 405 with `Allow`; any other path → 404;
 * - `buffers.read` bounds the request head (431 beyond it), `buffers.write` is the socket's
 *   write buffer; `timeouts.read` bounds receiving a request, `write` a stalled answer, `idle`
 *   a keep-alive connection waiting for its next request.
 * @throws StartupError naming `telemetry.metrics.address` when it cannot be listened on.
 */
export async function startMetricsListener(config: MetricsConfig, metrics: Metrics, logger: Logger): Promise<MetricsListener> {
  const server = createServer(
    {
      maxHeaderSize: config.buffers.read,
      highWaterMark: config.buffers.write,
      headersTimeout: config.timeouts.read,
      requestTimeout: config.timeouts.read,
      keepAliveTimeout: config.timeouts.idle,
    },
    (req, res) => answer(req, res, config.path, metrics, logger),
  );
  server.setTimeout(config.timeouts.write);
  const url = await listen(server, config);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, path: string, metrics: Metrics, logger: Logger): void {
  const target = req.url ?? '/';
  const query = target.indexOf('?');
  if ((query < 0 ? target : target.slice(0, query)) !== path) {
    plain(res, 404, 'not found');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    plain(res, 405, 'method not allowed');
    return;
  }
  metrics.scrape().then(
    ({ body, contentType }) => {
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'metrics: collecting failed');
      plain(res, 500, 'collecting the metrics failed');
    },
  );
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${text}\n`);
}

function listen(server: Server, config: MetricsConfig): Promise<string> {
  const a = config.address;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const shown = a.kind === 'unix' ? `unix://${a.path}` : `tcp://${a.host}:${a.port}`;
      reject(
        new StartupError(
          'GH_LISTEN',
          `telemetry.metrics.address: ${shown} cannot be listened on: ${error.message}${error.code ? ` (${error.code})` : ''}`,
          error,
        ),
      );
    });
    const bound = () => {
      if (a.kind === 'unix') return resolve(`unix:${a.path}`);
      const { address, family, port } = server.address() as AddressInfo;
      resolve(`http://${family === 'IPv6' ? `[${address}]` : address}:${port}${config.path}`);
    };
    if (a.kind === 'unix') server.listen(a.path, bound);
    else server.listen(a.port, a.host === '' ? '::' : a.host, bound);
  });
}
