import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { openWatch, resources, Transport } from '../../../src/kube/index.js';

// How a watch treats the run's signal, over Node's own HTTP server on loopback (a server that
// never answers: only the signal can end the request). What a watch reads is tested against the
// real API server in test/integration.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function silentServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer(() => requests++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

const identity = { name: 'controller-0', token: 't' };

it('does not send a watch whose signal has already aborted, and keeps no listener on it', async () => {
  const server = await silentServer();
  const transport = new Transport({ server: server.url }, { connections: 1 });
  closers.unshift(() => transport.close());
  const stop = new AbortController();
  stop.abort();
  await expect(
    openWatch(transport, identity, resources.configmaps, { signal: stop.signal }),
  ).rejects.toThrow(/abort/i);
  expect(server.requests()).toBe(0);
  expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
});

it('removes its listener from the signal when the attempt fails', async () => {
  // A port nothing listens on: every attempt is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  const transport = new Transport({ server: `http://127.0.0.1:${port}` }, { connections: 1 });
  closers.unshift(() => transport.close());
  const run = new AbortController();
  for (let attempt = 0; attempt < 3; attempt++) {
    await expect(
      openWatch(transport, identity, resources.configmaps, { signal: run.signal }),
    ).rejects.toThrow(/ECONNREFUSED/);
  }
  expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
});
