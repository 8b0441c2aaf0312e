import { performance } from 'node:perf_hooks';
import type { KubeResponse } from '../../src/kube/index.js';

/** A response as the client returns it, timed now; status 0 is a refused connection. */
export function kubeResponse<T>(status: number, body?: T): KubeResponse<T> {
  const now = performance.now();
  return {
    status,
    body,
    bytes: 0,
    sentAt: now,
    headersAt: now,
    doneAt: now,
    flowSchemaUID: undefined,
    priorityLevelUID: undefined,
    retryAfterSeconds: undefined,
    error: status === 0 ? { code: 'ECONNREFUSED', message: 'refused' } : undefined,
  };
}
