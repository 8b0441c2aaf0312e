// Runs a scenario's spec.faults against the local control plane, timed from the load's start
// barrier (the timeline's t = 0), never from the call: set-up takes longer on a busy machine.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCluster } from '../cluster/index.js';
import { ApfbenchError } from '../errors.js';
import type { FaultRecord } from '../metrics/faults.js';
import type { Fault } from '../scenario/index.js';

/** The fields of a scenario's spec that its faults need. */
interface FaultSpec {
  readonly warmup: number;
  readonly faults?: readonly Fault[] | undefined;
}

/** What a fault does to the control plane: the part of a local cluster the runner uses. */
export type FaultTarget = Pick<LocalCluster, 'pause' | 'resume' | 'restart'>;

/**
 * The faults of one run. `begin` is called once, at the start barrier; `finish` once, after the
 * workers are done (also after a failed or aborted run, and when `begin` never was). Neither
 * rejects: a fault that fails is recorded with its error.
 */
export interface FaultRunner {
  begin(startEpochMs: number): void;
  /**
   * Cancels the faults whose time has not come (they are left out of the record), ends the one
   * under way (a paused server is continued at once, a restart is waited for) and returns what
   * happened, in order.
   */
  finish(): Promise<FaultRecord[]>;
}

/**
 * Refuses faults on a target apfbench did not start, before anything is created on it. The
 * command layer checks this earlier still, with the line of spec.faults in the file.
 */
export function assertFaultsApplicable(
  spec: Pick<FaultSpec, 'faults'>,
  target: FaultTarget | undefined,
): void {
  if ((spec.faults ?? []).length === 0 || target !== undefined) return;
  throw new ApfbenchError(
    'APFBENCH_FAULTS_NEED_LOCAL',
    'spec.faults: faults are done to the control plane apfbench starts; this run goes to a cluster it did not start',
    { kind: 'invalid-input', hint: 'leave out --kubeconfig, or remove spec.faults' },
  );
}

const now = () => performance.timeOrigin + performance.now();

/** Does `fault` (pausing for its duration, or waiting for a restart's readiness). */
async function apply(fault: Fault, target: FaultTarget, cancelled: AbortSignal): Promise<void> {
  switch (fault.kind) {
    case 'pause-apiserver':
      target.pause('kube-apiserver');
      try {
        await sleep(fault.duration, undefined, { signal: cancelled }).catch(() => undefined);
      } finally {
        target.resume('kube-apiserver');
      }
      return;
    case 'restart-apiserver':
      return target.restart('kube-apiserver', { downMs: fault.duration });
    case 'stop-etcd':
      return target.restart('etcd', { downMs: fault.duration });
  }
}

/**
 * A runner for `spec.faults` on `target`; undefined when the scenario has none. Faults run one
 * at a time in the order of `at`: one due while the previous is still on starts when it ends,
 * and its record shows when that was. `say` hears each fault begin and end.
 */
export function faultRunner(
  spec: FaultSpec,
  target: FaultTarget | undefined,
  say: (line: string) => void,
): FaultRunner | undefined {
  const faults = (spec.faults ?? []).toSorted((a, b) => a.at - b.at);
  if (faults.length === 0) return undefined;
  assertFaultsApplicable(spec, target);
  const records: FaultRecord[] = [];
  const cancel = new AbortController();
  let done: Promise<void> = Promise.resolve();

  const run = async (measuredFrom: number) => {
    for (const fault of faults) {
      const due = measuredFrom + fault.at;
      // A timer may fire a fraction of a ms early: never start a fault before its time.
      while (now() < due && !cancel.signal.aborted) {
        await sleep(Math.ceil(due - now()), undefined, { signal: cancel.signal }).catch(
          () => undefined,
        );
      }
      if (cancel.signal.aborted) return;
      const from = now();
      say(`fault: ${fault.kind} at ${Math.round(from - measuredFrom)} ms`);
      let error: string | undefined;
      try {
        await apply(fault, target!, cancel.signal);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const to = now();
      say(
        `fault: ${fault.kind} over after ${Math.round(to - from)} ms${error ? `: ${error}` : ''}`,
      );
      records.push({
        kind: fault.kind,
        scheduledMs: fault.at,
        durationMs: fault.duration,
        startedAt: new Date(from).toISOString(),
        endedAt: new Date(to).toISOString(),
        fromMs: Math.round(from - measuredFrom),
        toMs: Math.round(to - measuredFrom),
        ...(error === undefined ? {} : { error }),
      });
    }
  };

  return {
    begin: (startEpochMs) => {
      done = run(startEpochMs + spec.warmup);
    },
    finish: async () => {
      cancel.abort();
      await done;
      return records;
    },
  };
}
