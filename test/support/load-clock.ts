import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Times a test's outside events (a fault, say) from the load's start instant, the timeline's
 * t = 0, rather than from the call's start: fixtures and set-up take longer on a loaded machine,
 * and a fault timed from the call would land earlier in the window than the test says.
 * Pass `onStart` to runScenario; call `settle()` after the run so that a run that never started
 * fails the waiting fault instead of leaving it pending.
 */
export function loadClock() {
  let resolve: (epochMs: number) => void = () => {};
  const started = new Promise<number>((r) => (resolve = r));
  return {
    onStart: (epochMs: number) => resolve(epochMs),
    settle: () => resolve(Number.NaN),
    /** Resolves `offsetMs` after the load started; rejects when it never did. */
    async at(offsetMs: number): Promise<void> {
      const t0 = await started;
      if (Number.isNaN(t0)) throw new Error('the run ended before its load started');
      await sleep(Math.max(0, t0 + offsetMs - Date.now()));
    },
    /** The load's start instant, once it is known. */
    started,
  };
}
