import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KubeTarget } from '../../src/kube/index.js';

/**
 * Established TCP connections the API server has accepted, counted from its side: sockets whose
 * local port is the server's (`ss`, on the machine the local control plane runs on).
 */
export async function serverConnections(target: KubeTarget): Promise<number> {
  const port = new URL(target.server).port;
  const { stdout } = await promisify(execFile)('ss', [
    '-tnH',
    'state',
    'established',
    `( sport = :${port} )`,
  ]);
  return stdout.split('\n').filter((line) => line.trim() !== '').length;
}
