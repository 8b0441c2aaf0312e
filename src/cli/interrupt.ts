/** The signals that interrupt a long command: Ctrl-C, a kill, and a closed terminal. */
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal was closed) for long commands: the first
 * aborts `signal` so the command can stop the load, drain, clean up and restore; the second exits
 * at once with 130. All three end in the same way, with 130, so that a script tells an
 * interrupted run by one code.
 */
export function interruptible(
  say: (line: string) => void,
  what = 'stopping the load, draining and cleaning up',
): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      process.stderr.write(`\n${signal} again: exiting without cleanup\n`);
      process.exit(130);
    }
    if (signal === 'SIGHUP') ignoreOutputErrors();
    say(`\n${signal}: ${what} (again to force)`);
    abort.abort();
  };
  for (const s of INTERRUPTS) process.on(s, onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      for (const s of INTERRUPTS) process.off(s, onSignal);
    },
  };
}

/**
 * After a hang-up no one reads stdout and stderr: a write to the closed terminal fails (EIO, or
 * EPIPE on a pipe), and an unhandled write error would end the process before it cleaned up and
 * wrote its result. Such errors are dropped from here on.
 */
function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}
