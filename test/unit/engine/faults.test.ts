import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertFaultsApplicable,
  faultRunner,
  type FaultTarget,
} from '../../../src/engine/faults.js';
import type { Fault } from '../../../src/scenario/index.js';

/** A control plane that only notes what was done to it. */
function recordingTarget(calls: string[], failRestart = false): FaultTarget {
  return {
    pause: (name) => void calls.push(`pause ${name}`),
    resume: (name) => void calls.push(`resume ${name}`),
    restart: async (name, opts) => {
      calls.push(`restart ${name} after ${opts?.downMs ?? 0}`);
      await sleep(5);
      if (failRestart) throw new Error(`${name} was not ready`);
    },
  };
}

const spec = (faults: Fault[], warmup = 0) => ({ faults, warmup });

describe('faultRunner', () => {
  it('does each fault at its offset from the measured window, one at a time, in order', async () => {
    const calls: string[] = [];
    const runner = faultRunner(
      spec(
        [
          { kind: 'stop-etcd', at: 60, duration: 10 },
          { kind: 'pause-apiserver', at: 0, duration: 20 },
          { kind: 'restart-apiserver', at: 30, duration: 0 },
        ],
        10,
      ),
      recordingTarget(calls),
      () => {},
    )!;
    const t0 = Date.now();
    runner.begin(t0);
    await sleep(150);
    const records = await runner.finish();
    expect(calls).toEqual([
      'pause kube-apiserver',
      'resume kube-apiserver',
      'restart kube-apiserver after 0',
      'restart etcd after 10',
    ]);
    expect(records.map((r) => [r.kind, r.scheduledMs, r.durationMs])).toEqual([
      ['pause-apiserver', 0, 20],
      ['restart-apiserver', 30, 0],
      ['stop-etcd', 60, 10],
    ]);
    for (const r of records) {
      // Offsets count from the end of the 10 ms warm-up; a fault never starts early.
      expect(r.fromMs).toBeGreaterThanOrEqual(r.scheduledMs);
      expect(r.toMs).toBeGreaterThanOrEqual(r.fromMs);
      expect(Math.abs(Date.parse(r.startedAt) - (t0 + 10) - r.fromMs)).toBeLessThanOrEqual(1);
      expect(r.error).toBeUndefined();
    }
    expect(records[0]!.toMs - records[0]!.fromMs).toBeGreaterThanOrEqual(19);
  });

  it('continues a paused server at once and drops the faults to come when the run ends', async () => {
    const calls: string[] = [];
    const runner = faultRunner(
      spec([
        { kind: 'pause-apiserver', at: 0, duration: 60_000 },
        { kind: 'restart-apiserver', at: 61_000, duration: 0 },
      ]),
      recordingTarget(calls),
      () => {},
    )!;
    runner.begin(Date.now());
    await sleep(20);
    const records = await runner.finish();
    expect(calls).toEqual(['pause kube-apiserver', 'resume kube-apiserver']);
    expect(records).toHaveLength(1);
    expect(records[0]!.toMs).toBeLessThan(60_000);
  });

  it('records a fault that failed, and none when the load never started', async () => {
    const calls: string[] = [];
    const failing = faultRunner(
      spec([{ kind: 'stop-etcd', at: 0, duration: 1 }]),
      recordingTarget(calls, true),
      () => {},
    )!;
    failing.begin(Date.now());
    await sleep(30);
    expect((await failing.finish())[0]!.error).toBe('etcd was not ready');

    const never = faultRunner(
      spec([{ kind: 'stop-etcd', at: 0, duration: 1 }]),
      recordingTarget([]),
      () => {},
    )!;
    expect(await never.finish()).toEqual([]);
  });

  it('has nothing to run without faults, and refuses them without a control plane', () => {
    expect(faultRunner(spec([]), undefined, () => {})).toBeUndefined();
    expect(() =>
      assertFaultsApplicable(
        { faults: [{ kind: 'restart-apiserver', at: 0, duration: 0 }] },
        undefined,
      ),
    ).toThrow(/APFBENCH_FAULTS_NEED_LOCAL|control plane apfbench starts/);
  });
});
