/**
 * The trivial loopback server every generator is measured against: nginx from Debian with a
 * minimal config of its own (one worker, no access log, the same small JSON for any path),
 * pinned to one core so that it never competes with the generator for the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const RESPONSE_BODY = '{"kind":"ConfigMap","metadata":{"name":"x"}}';

export interface Nginx {
  readonly url: string;
  /**
   * The same server as cleartext HTTP/2 with prior knowledge (h2c; nginx `listen ... http2`),
   * which Node's `http2.connect('http://...')` speaks: the h2 rows without TLS on either side,
   * as the HTTP/1.1 rows have none.
   */
  readonly h2Url: string;
  readonly pid: number;
  /** Stops nginx (its master, by PID; the master stops its worker) and removes the temp dir. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, from the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function config(dir: string, port: number, h2Port: number): string {
  // keepalive_requests: nginx closes a keep-alive connection after 1000 requests by default,
  // which would make every generator reconnect every 1000 requests.
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  http2_max_concurrent_streams 128;
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${h2Port} http2;
    location / {
      default_type application/json;
      return 200 '${RESPONSE_BODY}';
    }
  }
}
`;
}

/**
 * Starts nginx on `cpu` and waits (bounded: 50 × 100 ms) until it answers with the expected
 * body and content type.
 */
export async function startNginx(cpu: number): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-nginx-'));
  const port = await freePort();
  const h2Port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, h2Port));
  const child: ChildProcess = spawn(
    'taskset',
    ['-c', String(cpu), 'nginx', '-p', dir, '-c', conf, '-e', join(dir, 'error.log')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  const pid = child.pid;
  const url = `http://127.0.0.1:${port}`;
  const h2Url = `http://127.0.0.1:${h2Port}`;
  const stop = async () => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!gone) process.kill(pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (!spawned || pid === undefined) {
    await stop();
    throw new Error('cannot start nginx: is it installed? (apt-get install -y nginx-light)');
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/v1/namespaces/x/configmaps/y`);
      const body = await res.text();
      if (
        res.status === 200 &&
        body === RESPONSE_BODY &&
        res.headers.get('content-type') === 'application/json'
      ) {
        return { url, h2Url, pid, stop };
      }
      throw new Error(`nginx answered ${res.status} ${res.headers.get('content-type')} ${body}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('nginx answered')) {
        await stop();
        throw err;
      }
      await sleep(100);
    }
  }
  await stop();
  throw new Error(`nginx did not come up on ${url}: ${stderr.trim()}`);
}
