/**
 * Errors that reach a user carry a stable code and, where there is one, a hint
 * saying what to do next (undici's UND_ERR_* codes, k6's errext.WithHint).
 * Only the CLI layer prints them and maps them to exit codes.
 */
export type ErrorKind =
  'invalid-input' | 'environment' | 'internal' | 'check-failed' | 'interrupted';

export class ApfbenchError extends Error {
  override readonly name: string = 'ApfbenchError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(
    code: string,
    message: string,
    opts: { kind?: ErrorKind; hint?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.kind = opts.kind ?? 'environment';
    this.hint = opts.hint;
  }
}

/** Exit codes are part of the contract (../shared/DESIGN.md). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  invalidInput: 2,
  checkFailed: 3,
  interrupted: 130,
} as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof ApfbenchError)) return ExitCode.internal;
  switch (err.kind) {
    case 'invalid-input':
      return ExitCode.invalidInput;
    case 'check-failed':
      return ExitCode.checkFailed;
    case 'interrupted':
      return ExitCode.interrupted;
    default:
      return ExitCode.internal;
  }
}

/**
 * What a step throws when Ctrl-C (SIGINT) or SIGTERM stopped it before it had a result to give:
 * `what` completes "interrupted …", e.g. "while kube-apiserver was starting". Exit 130.
 */
export function interrupted(what: string): ApfbenchError {
  return new ApfbenchError('APFBENCH_INTERRUPTED', `interrupted ${what}`, { kind: 'interrupted' });
}

/** Throws `interrupted(what)` once `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw interrupted(what);
}

/**
 * Calls `listener` once `signal` aborts, at once when it already has: an 'abort' listener added
 * to a signal that aborted earlier never fires, and the stop it stands for would be lost.
 * Returns a function that removes the listener (nothing to do once it has run).
 */
export function whenAborted(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) {
    listener();
    return () => {};
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
