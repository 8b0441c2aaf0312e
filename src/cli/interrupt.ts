/**
 * Ctrl-C (SIGINT) and SIGTERM for long commands: the first aborts `signal` so the command can
 * stop the load, drain, clean up and restore; the second exits at once with 130.
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
    say(`\n${signal}: ${what} (again to force)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
