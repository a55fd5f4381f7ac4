import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const titles: Record<number, string> = {
  400: 'Bad Request',
  500: 'Internal Server Error',
  401: 'Unauthorized',
  403: 'Forbidden',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const explanations: Record<number, string> = {
  400: 'The request could not be understood.',
  500: 'Something went wrong on our side.',
  401: 'You need to sign in to see this page.',
  403: 'You are not allowed to see this page.',
  502: 'The application behind this address is not answering. Try again in a moment.',
  503: 'Sign-in cannot be checked right now. Try again in a moment.',
  504: 'The application behind this address took too long to answer. Try again in a moment.',
};

function page(status: number): string {
  const title = `${status} ${titles[status] ?? 'Error'}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${explanations[status] ?? ''}</p></body></html>\n`;
}

/** Answers with a small HTML error page (no detail: the cause is in the log). */
export function sendPage(res: ServerResponse, status: number, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = page(status);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Answers a refused WebSocket handshake on the raw socket, then closes it. */
export function refuseUpgrade(socket: Socket, status: number, extra: Record<string, string> = {}): void {
  const body = page(status);
  const lines = [
    `HTTP/1.1 ${status} ${titles[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  for (const [name, value] of Object.entries(extra)) lines.push(`${name}: ${value}`);
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}
