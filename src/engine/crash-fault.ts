/**
 * Fault injection for the tests of a worker crash (docs/reliability.md), and for nothing else:
 * no real input makes a worker thread die, so a test asks for it through the environment, which
 * every worker inherits from the process. Only the worker reads it.
 *
 * `APFBENCH_TEST_CRASH_WORKER=<index>:<ms>[:exit]`: worker `<index>` dies `<ms>` after the start
 * barrier, by an uncaught exception thrown from a timer, or with `:exit` by `process.exit`
 * (`CRASH_EXIT_CODE`), which ends the thread without an error.
 */
// worker.ts reads it as `process.env.APFBENCH_TEST_CRASH_WORKER`, the form in which the error-code
// catalogue's test tells environment variables from error codes.
export const CRASH_FAULT_ENV = 'APFBENCH_TEST_CRASH_WORKER';

/** The exit code of a worker that `:exit` ends. */
export const CRASH_EXIT_CODE = 70;

export interface CrashFault {
  readonly afterMs: number;
  readonly how: 'throw' | 'exit';
}

/**
 * The crash `value` (the variable's text) asks of worker `workerIndex`, if any. A value that is
 * not of the documented form throws: a test that meant to crash a worker must not pass because
 * none crashed.
 */
export function crashFaultFor(
  value: string | undefined,
  workerIndex: number,
): CrashFault | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d+):(\d+)(:exit)?$/.exec(value);
  if (m === null) {
    throw new Error(`${CRASH_FAULT_ENV} must be <worker index>:<ms>[:exit] (got ${value})`);
  }
  if (Number(m[1]) !== workerIndex) return undefined;
  return { afterMs: Number(m[2]), how: m[3] === undefined ? 'throw' : 'exit' };
}

/**
 * Ends the calling worker thread as `fault` says. Call it from a timer: its throw must reach no
 * catch, so that it is the thread's uncaught exception. Its message names the variable, so that
 * no one takes it for a bug.
 */
export function crashNow(fault: CrashFault, workerIndex: number): never {
  // In a worker thread, process.exit ends the thread alone.
  if (fault.how === 'exit') process.exit(CRASH_EXIT_CODE);
  throw new Error(`crash injected by ${CRASH_FAULT_ENV} into worker ${workerIndex}`);
}
