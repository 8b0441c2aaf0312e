// spec.faults: what happens to the local control plane during a run, and when.
import { z } from 'zod';
import { duration } from '../validation/fields.js';
import { formatDuration } from '../validation/units.js';
import type { Path } from '../validation/yaml-path.js';

const at = duration.describe(
  'When the fault starts, counted from the start of the measured window (the end of spec.warmup).',
);

const pauseApiserver = z.strictObject({
  kind: z.literal('pause-apiserver'),
  at,
  duration: duration
    .pipe(z.number().gt(0))
    .describe('How long kube-apiserver stays stopped (SIGSTOP) before it is continued (SIGCONT).'),
});

const restartApiserver = z.strictObject({
  kind: z.literal('restart-apiserver'),
  at,
  duration: duration
    .describe(
      'How long kube-apiserver stays down after the kill (SIGKILL) before it is started again, ' +
        'with the same flags, port and etcd; it is back once /readyz answers.',
    )
    .prefault('0s'),
});

const stopEtcd = z.strictObject({
  kind: z.literal('stop-etcd'),
  at,
  duration: duration
    .pipe(z.number().gt(0))
    .describe(
      'How long etcd stays down after the kill (SIGKILL) before it is started again with the ' +
        'same data, flags and ports; it is back once its /health answers.',
    ),
});

/** One fault; `kind` says what it does. */
export const faultSchema = z.discriminatedUnion('kind', [
  pauseApiserver,
  restartApiserver,
  stopEtcd,
]);

export type Fault = z.output<typeof faultSchema>;
export type FaultKind = Fault['kind'];

/**
 * The rules of spec.faults across fields: every fault starts and ends within the measured
 * window, and none starts while an earlier one is still on (they run one at a time: a restart
 * under a pause, or of kube-apiserver while etcd is down, cannot work). Reads only valid values.
 */
export function checkFaults(
  faults: readonly Fault[],
  window: { readonly duration: number; readonly warmup: number },
  valid: (...path: Path) => boolean,
  report: (path: Path, message: string) => void,
): void {
  const measured = window.duration - window.warmup;
  const span = `the measured window, 0s to ${formatDuration(measured)} (spec.duration less spec.warmup)`;
  const ok = faults.flatMap((fault, i) =>
    valid('faults', i, 'kind') && valid('faults', i, 'at') && valid('faults', i, 'duration')
      ? [{ fault, i }]
      : [],
  );
  const inWindow = ok.filter(({ fault, i }) => {
    if (fault.at >= measured) {
      report(['faults', i, 'at'], `must be within ${span}`);
      return false;
    }
    if (fault.at + fault.duration > measured) {
      report(
        ['faults', i, 'duration'],
        `ends at ${formatDuration(fault.at + fault.duration)}, after the end of ${span}`,
      );
      return false;
    }
    return true;
  });
  const byStart = inWindow.toSorted((a, b) => a.fault.at - b.fault.at || a.i - b.i);
  for (let k = 1; k < byStart.length; k++) {
    const before = byStart[k - 1]!;
    const { fault, i } = byStart[k]!;
    const end = before.fault.at + before.fault.duration;
    if (fault.at < end || fault.at === before.fault.at) {
      report(
        ['faults', i, 'at'],
        `starts while spec.faults[${before.i}] (${before.fault.kind}, ${formatDuration(before.fault.at)} to ${formatDuration(end)}) is still on; faults run one at a time`,
      );
    }
  }
}
