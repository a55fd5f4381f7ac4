import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const built = fileURLToPath(new URL('../../dist/proxy/upstream-proxy.js', import.meta.url));

/** One request through the built UpstreamProxy to a local upstream, in a Node.js of its own. */
const script = `
import { createServer, request } from 'node:http';
const { UpstreamProxy } = await import(${JSON.stringify(built)});
const listening = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const upstream = createServer((req, res) => res.end('ok'));
const target = new URL('http://127.0.0.1:' + (await listening(upstream)));
const proxy = new UpstreamProxy((error) => { throw error; });
const front = createServer((req, res) => proxy.web(req, res, { domain: 'app.example.com', pathPrefix: '/', target, preserveHost: false, websocket: false, timeout: 5000 }));
const port = await listening(front);
const answer = await new Promise((resolve, reject) =>
  request({ host: '127.0.0.1', port, path: '/' }, (res) => {
    let body = '';
    res.on('data', (chunk) => (body += chunk));
    res.on('end', () => resolve(res.statusCode + ' ' + body));
  }).on('error', reject).end(),
);
console.log(answer);
proxy.close();
front.close();
upstream.close();
`;

describe('the proxy on the running Node.js', () => {
  it(`proxies without a deprecation warning (Node.js ${process.versions.node}; http-proxy's util._extend is DEP0060 from Node.js 22)`, () => {
    // --throw-deprecation: a runtime deprecation ends the process with an error.
    const run = spawnSync(process.execPath, ['--throw-deprecation', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(run.stderr).not.toMatch(/DeprecationWarning|DEP0060/);
    expect(run.stdout.trim()).toBe('200 ok');
    expect(run.status).toBe(0);
  });
});
