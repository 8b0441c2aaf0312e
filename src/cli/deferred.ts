/**
 * yargs reports an unknown option only once the command's handler has already started (seen with
 * `apfbench run X --warmup 5s`: the whole run went ahead, then "Unknown argument"). So command
 * handlers only record what to run; `main` runs it once parsing has succeeded.
 */
type Thunk = () => Promise<number | void>;

let pending: Thunk | undefined;

/** A yargs handler that records `handler(argv)` for `takeDeferred` instead of running it. */
export function deferred<A>(handler: (argv: A) => Promise<number | void> | number | void) {
  return (argv: A): void => {
    pending = async () => handler(argv);
  };
}

/** The command recorded by the last parse, once. */
export function takeDeferred(): Thunk | undefined {
  const p = pending;
  pending = undefined;
  return p;
}
