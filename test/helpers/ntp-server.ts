import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { writeTimestamp } from '../../src/server/ntp-check.js';

/**
 * A tiny SNTP server on 127.0.0.1 (a free port): answers each request with its clock set `offsetMs`
 * ahead of `now()`, or never answers with `silent`. Returns the port and the requests' first bytes.
 */
export async function startNtpServer(options: { offsetMs?: number; silent?: boolean; now?: () => number } = {}) {
  const socket = createSocket('udp4');
  const requests: number[] = [];
  socket.on('message', (request, peer) => {
    requests.push(request[0] ?? 0);
    if (options.silent) return;
    const reply = Buffer.alloc(48);
    const serverTime = (options.now ?? Date.now)() + (options.offsetMs ?? 0);
    // LI 0, version 4, mode 4 (server); stratum 1.
    reply[0] = (4 << 3) | 4;
    reply[1] = 1;
    request.copy(reply, 24, 40, 48);
    writeTimestamp(reply, 32, serverTime);
    writeTimestamp(reply, 40, serverTime);
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: (socket.address() as AddressInfo).port, requests };
}
