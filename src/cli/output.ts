import { ApfbenchError, exitCodeFor } from '../errors.js';

/** The one place that turns an error into what the user reads. */
export function printError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof ApfbenchError) {
    stderr.write(`error [${err.code}]: ${err.message}\n`);
    if (err.hint !== undefined) stderr.write(`hint: ${err.hint}\n`);
    if (process.env.APFBENCH_DEBUG && err.cause !== undefined)
      stderr.write(`cause: ${String(err.cause)}\n`);
  } else {
    stderr.write(
      `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  return exitCodeFor(err);
}

export const progress = (line: string) => process.stderr.write(`${line}\n`);
