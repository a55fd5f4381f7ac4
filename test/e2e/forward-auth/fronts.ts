import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Whether `binary` can run. In CI (`CI=true`) a missing binary fails the suite loudly; elsewhere
 * the suite is skipped with the printed reason.
 */
export function requireBinary(binary: string, versionArgs: string[]): boolean {
  const found = spawnSync(binary, versionArgs, { stdio: 'ignore' }).status === 0;
  if (found) return true;
  const reason = `${binary} is not installed (apt-get install -y ${binary}); .ci/run installs it`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  console.warn(`skipping the ${binary} end-to-end suite: ${reason}`);
  return false;
}

/** Resolves once something accepts connections on `port` (the process must still be running). */
async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nothing listens on ${port}:\n${output()}`);
}

function run(command: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (text += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (text += c));
  // SIGTERM: nginx's master then stops its workers (SIGKILL would orphan them).
  onTestFinished(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  return { child, output: () => text };
}

/** A whole nginx.conf for a test: one worker in the foreground, files under `dir`, `http` holding `servers`. */
export function nginxMain(dir: string, gatehousePort: number, servers: string): string {
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `${user}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream gatehouse { server 127.0.0.1:${gatehousePort}; keepalive 32; }
${servers}
}
`;
}

/** The nginx configuration of examples/nginx, on loopback ports. */
export function nginxConfig(dir: string, p: { front: number; gatehouse: number; upstream: number }): string {
  return nginxMain(
    dir,
    p.gatehouse,
    `  upstream app { server 127.0.0.1:${p.upstream}; keepalive 32; }
  # The portal: its own host, straight to Gatehouse.
  server {
    listen 127.0.0.1:${p.front};
    server_name auth.example.localhost;
    location / {
      include ${dir}/proxy.conf;
      proxy_pass http://gatehouse;
    }
  }
  # Protected sites.
  server {
    listen 127.0.0.1:${p.front};
    server_name *.example.localhost;
    include ${dir}/authz-location.conf;
    location / {
      include ${dir}/auth-request.conf;
      include ${dir}/proxy.conf;
      proxy_pass http://app;
    }
  }`,
  );
}

/**
 * Writes the nginx snippets of examples/nginx (with the Gatehouse upstream name) and starts nginx
 * with `config` (default: the forward-auth layout of {@link nginxConfig}).
 */
export async function startNginx(
  dir: string,
  ports: { front: number; gatehouse: number; upstream: number },
  snippets: Record<string, string>,
  config: (dir: string, ports: { front: number; gatehouse: number; upstream: number }) => string = nginxConfig,
): Promise<void> {
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  for (const [name, text] of Object.entries(snippets)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'nginx.conf'), config(dir, ports));
  const { child, output } = run('nginx', ['-p', dir, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf')]);
  await waitForPort(ports.front, child, output);
}

/** The Caddyfile of examples/caddy, on loopback ports. */
export async function startCaddy(dir: string, ports: { front: number; gatehouse: number; upstream: number }, site: string): Promise<void> {
  const caddyfile = `{
  admin off
  auto_https off
  storage file_system ${dir}/caddy-data
}
http://auth.example.localhost:${ports.front} {
  bind 127.0.0.1
  reverse_proxy 127.0.0.1:${ports.gatehouse}
}
http://*.example.localhost:${ports.front} {
  bind 127.0.0.1
${site.replace(/gatehouse:9091/g, `127.0.0.1:${ports.gatehouse}`).replace(/app:8080/g, `127.0.0.1:${ports.upstream}`)}
}
`;
  writeFileSync(join(dir, 'Caddyfile'), caddyfile);
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const { child, output } = run('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], env);
  await waitForPort(ports.front, child, output);
}

/** `text` with every `from` replaced by `to`; throws when `from` is absent (the example changed shape). */
function substitute(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the HAProxy example no longer contains ${JSON.stringify(from)}`);
  return text.replaceAll(from, to);
}

/**
 * examples/haproxy/haproxy.cfg on loopback ports: its own listener, Gatehouse and the app on the
 * test's ports, the Lua script loaded from `lua`, `example.com` as the test's domain. HAProxy
 * runs in the foreground (`-db`); a configuration it refuses fails here with its messages.
 */
export async function startHaproxy(
  dir: string,
  ports: { front: number; gatehouse: number; upstream: number },
  example: { config: string; lua: string; domain: string },
): Promise<void> {
  let config = substitute(example.config, 'bind :443 ssl crt /etc/haproxy/certs/example.com.pem', `bind 127.0.0.1:${ports.front}`);
  config = substitute(config, 'lua-load /etc/haproxy/gatehouse-auth-request.lua', `lua-load ${example.lua}`);
  config = substitute(config, 'gatehouse:9091', `127.0.0.1:${ports.gatehouse}`);
  config = substitute(config, 'app:8080', `127.0.0.1:${ports.upstream}`);
  config = substitute(config, 'example.com', example.domain);
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const check = spawnSync('haproxy', ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy refuses ${file}:\n${check.stdout}${check.stderr}`);
  const { child, output } = run('haproxy', ['-db', '-f', file]);
  await waitForPort(ports.front, child, output);
}
