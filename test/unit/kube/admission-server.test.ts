// The webhook server apfbench hosts, called over real HTTPS on loopback as the API server calls
// it, trusting only the CA made for it.
import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { generateLoopbackServing } from '../../../src/cluster/pki.js';
import {
  MUTATED_ANNOTATION,
  startAdmissionServer,
  type AdmissionBehaviour,
  type AdmissionCall,
  type AdmissionServer,
} from '../../../src/kube/admission-server.js';

const pki = await generateLoopbackServing('apfbench-test');
let server: AdmissionServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function review(operation: string, dryRun = false, annotations?: Record<string, string>) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      operation,
      dryRun,
      object: { metadata: { name: 'x', ...(annotations === undefined ? {} : { annotations }) } },
    },
  };
}

function post(
  url: string,
  body: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ca: pki.ca.cert, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (opts.timeoutMs !== undefined) {
      req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('timeout')));
    }
    req.end(JSON.stringify(body));
  });
}

async function start(behaviour: Partial<AdmissionBehaviour>, calls: AdmissionCall[]) {
  server = await startAdmissionServer({
    tls: pki.serving,
    webhooks: new Map([
      ['w', { mutating: false, delayMs: () => 0, fail: () => false, ...behaviour }],
    ]),
    onCall: (c) => calls.push(c),
  });
  return server;
}

describe('the admission server', () => {
  it('allows after the delay, and says how long it held the call', async () => {
    const calls: AdmissionCall[] = [];
    const s = await start({ delayMs: () => 150 }, calls);
    // As the API server calls it: with its timeout as a query.
    const res = await post(`${s.url('w')}?timeout=10s`, review('CREATE'));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      webhook: 'w',
      operation: 'CREATE',
      dryRun: false,
      outcome: 'allowed',
    });
    expect(calls[0]!.heldMs).toBeGreaterThanOrEqual(145);
  });

  it('patches in its annotation when mutating, with or without annotations already', async () => {
    const calls: AdmissionCall[] = [];
    const s = await start({ mutating: true }, calls);
    const patchOf = async (body: unknown) => {
      const res = await post(s.url('w'), body);
      const response = (JSON.parse(res.body) as { response: { patchType: string; patch: string } })
        .response;
      expect(response.patchType).toBe('JSONPatch');
      return JSON.parse(Buffer.from(response.patch, 'base64').toString()) as unknown;
    };
    expect(await patchOf(review('CREATE'))).toEqual([
      { op: 'add', path: '/metadata/annotations', value: { [MUTATED_ANNOTATION]: 'w' } },
    ]);
    expect(await patchOf(review('UPDATE', false, { a: 'b' }))).toEqual([
      { op: 'add', path: '/metadata/annotations/apfbench.dev~1mutated-by', value: 'w' },
    ]);
  });

  it('returns HTTP 500 when told to fail, but answers a dry-run probe at once and never fails it', async () => {
    const calls: AdmissionCall[] = [];
    const s = await start({ fail: () => true, delayMs: () => 100 }, calls);
    expect((await post(s.url('w'), review('CREATE', true))).status).toBe(200);
    const failed = await post(s.url('w'), review('CREATE'), { timeoutMs: 20_000 });
    expect(failed.status).toBe(500);
    expect(calls.map((c) => [c.dryRun, c.outcome])).toEqual([
      [true, 'allowed'],
      [false, 'failed'],
    ]);
  });

  it('counts a call the client closed before the answer as abandoned', async () => {
    const calls: AdmissionCall[] = [];
    const s = await start({ delayMs: () => 60_000 }, calls);
    await expect(post(s.url('w'), review('CREATE'), { timeoutMs: 200 })).rejects.toThrow('timeout');
    for (let i = 0; i < 50 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.outcome).toBe('abandoned');
  });

  it('answers 404 on a path that names no webhook, and 400 to a body that is no review', async () => {
    const calls: AdmissionCall[] = [];
    const s = await start({}, calls);
    expect((await post(s.url('nope'), review('CREATE'))).status).toBe(404);
    expect((await post(s.url('w'), { hello: 1 })).status).toBe(400);
    expect(calls.map((c) => c.outcome)).toEqual(['bad-request', 'bad-request']);
  });
});
