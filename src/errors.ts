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
  let entry = abortListeners.get(signal);
  if (entry === undefined) {
    const listeners = new Set<() => void>();
    const dispatch = () => {
      abortListeners.delete(signal);
      for (const l of listeners) {
        try {
          l();
        } catch (err) {
          // As an EventTarget does with a listener that throws: reported, the others still run.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    };
    signal.addEventListener('abort', dispatch, { once: true });
    abortListeners.set(signal, (entry = { listeners, dispatch }));
  }
  const own = entry;
  own.listeners.add(listener);
  return () => {
    own.listeners.delete(listener);
    // The last one gone: the signal keeps no listener of ours (a run's signal outlives its watches).
    if (own.listeners.size === 0 && abortListeners.get(signal) === own) {
      abortListeners.delete(signal);
      signal.removeEventListener('abort', own.dispatch);
    }
  };
}

/**
 * The listeners of each signal `whenAborted` watches, behind one 'abort' listener per signal. An
 * AbortSignal looks for a duplicate among its listeners on every add, so thousands of actors
 * adding one each to the run's signal took O(n²): 335 ms to add 5,000 and 2.6 s to add 20,000,
 * in one block of the event loop as a worker started its kubelets. A Set adds and removes in
 * constant time (14 and 94 ms).
 */
const abortListeners = new WeakMap<
  AbortSignal,
  { readonly listeners: Set<() => void>; readonly dispatch: () => void }
>();
