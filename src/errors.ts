import {
  ERROR_CODES,
  EXIT_CODE_OF_KIND,
  ExitCode,
  type ErrorCode,
  type ErrorKind,
  type KindOf,
} from './error-codes.js';

export { ExitCode, type ErrorCode, type ErrorKind } from './error-codes.js';

/**
 * Errors that reach a user carry a stable code and, where there is one, a hint
 * saying what to do next (undici's UND_ERR_* codes, k6's errext.WithHint).
 * Only the CLI layer prints them and maps them to exit codes.
 *
 * The code must be in the catalogue (src/error-codes.ts), whose kind for it the error takes;
 * a `kind` given here must be that same kind, so call sites that spell it out stay true.
 */
export class ApfbenchError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name: string = 'ApfbenchError';
  readonly code: C;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(
    code: C,
    message: string,
    opts: { kind?: KindOf<C>; hint?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.kind = opts.kind ?? ERROR_CODES[code].kind;
    this.hint = opts.hint;
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof ApfbenchError ? EXIT_CODE_OF_KIND[err.kind] : ExitCode.internal;
}

/**
 * What a step throws when Ctrl-C (SIGINT), SIGTERM or SIGHUP stopped it before it had a result to give:
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
 * The reason for the aborts that stop thousands of simulated components at once (each one's own
 * stop, the close of each one's watch): one shared AbortError. `abort()` without a reason builds
 * a DOMException, stack trace and all, for every signal, which was a quarter of the CPU of
 * stopping 5,000 kubelets at their deadline (bench/kubelets.ts, docs/benchmarks.md).
 */
export const STOPPED: DOMException = new DOMException('This operation was aborted', 'AbortError');

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
