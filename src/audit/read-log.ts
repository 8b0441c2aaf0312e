import { stat } from 'node:fs/promises';
import { ApfbenchError, throwIfAborted } from '../errors.js';
import { parseAuditLine } from './event.js';
import { linesOf, openInput } from './lines.js';
import type { InputTally, Tally } from './tally.js';

/** How far the reading is: bytes read of the inputs (compressed for a `.gz`), lines, requests. */
export interface ReadProgress {
  readonly input: string;
  readonly bytes: number;
  /** The inputs' total size; undefined when one is stdin. */
  readonly totalBytes: number | undefined;
  readonly lines: number;
  readonly requests: number;
}

export interface ReadOptions {
  /** Called at most every `progressEveryLines` lines, and never blocks. */
  readonly onProgress?: (p: ReadProgress) => void;
  readonly progressEveryLines?: number;
  readonly signal?: AbortSignal;
}

async function sizeOf(name: string): Promise<number | undefined> {
  if (name === '-') return undefined;
  try {
    return (await stat(name)).size;
  } catch (err) {
    throw new ApfbenchError(
      'APFBENCH_BAD_AUDIT_LOG',
      `${name}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { hint: 'Give audit log files (JSON lines, .gz too) or - for stdin.' },
    );
  }
}

/**
 * Reads audit logs one after the other, as streams, into `tally`: each line once, in constant
 * memory. Lines that are not events are counted in the tally with their place; an input that
 * ends early (a gzip cut short) is recorded in its InputTally, and the next input is still read.
 * Throws APFBENCH_BAD_AUDIT_LOG for an input that cannot be opened.
 */
export async function readAuditLogs(
  names: readonly string[],
  tally: Tally,
  opts: ReadOptions = {},
): Promise<void> {
  const sizes = await Promise.all(names.map(sizeOf));
  const totalBytes = sizes.includes(undefined)
    ? undefined
    : sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  const every = opts.progressEveryLines ?? 50_000;
  let bytesBefore = 0;
  let lines = 0;
  for (const name of names) {
    throwIfAborted(opts.signal, `while reading ${name}`);
    const input: InputTally = { name, lines: 0, bytes: 0 };
    tally.inputs.push(input);
    const stream = openInput(name, (n) => (input.bytes += n));
    const shown = name === '-' ? 'stdin' : name;
    for await (const { text, line } of linesOf(stream, (end) => {
      input.brokeAfterLine = end.afterLine;
      input.brokeBecause = end.message;
    })) {
      input.lines = line;
      const parsed = parseAuditLine(text);
      switch (parsed.kind) {
        case 'request':
          tally.add(parsed.request);
          break;
        case 'skipped':
          tally.skip(parsed.stage);
          break;
        case 'blank':
          tally.blank++;
          break;
        case 'problem':
          tally.problem(parsed.problem, `${shown}:${line}`, parsed.detail);
          break;
      }
      if (++lines % every === 0) {
        opts.onProgress?.({
          input: shown,
          bytes: bytesBefore + input.bytes,
          totalBytes,
          lines,
          requests: tally.requests,
        });
        throwIfAborted(opts.signal, `while reading ${shown}`);
      }
    }
    bytesBefore += input.bytes;
  }
  opts.onProgress?.({ input: '', bytes: bytesBefore, totalBytes, lines, requests: tally.requests });
}
