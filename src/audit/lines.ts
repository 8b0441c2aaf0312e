// Audit logs are read as a stream of lines in constant memory: a gigabyte an hour is common, so
// neither a file nor its lines are ever held whole. Lines are split on the bytes ('\n' cannot
// occur inside a UTF-8 sequence), which costs less than node:readline's string decoder.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** One line of one input: its text (without the newline) and its 1-based line number. */
export interface Line {
  readonly text: string;
  readonly line: number;
}

/** Where an input stopped early: a gzip stream that ends mid-member, a read error. */
export interface InputEnd {
  /** The last complete line read before the input broke. */
  readonly afterLine: number;
  readonly message: string;
}

/** A `.gz` name or a gzip magic number: both are read through gunzip. */
const isGzipName = (name: string) => name.endsWith('.gz');

/**
 * The input `name` as a byte stream: `-` is stdin; a `.gz` file is gunzipped. `onBytes` sees the
 * bytes read from the source (compressed ones for a `.gz`), for progress.
 */
export function openInput(name: string, onBytes: (n: number) => void): Readable {
  const source: Readable =
    name === '-' ? process.stdin : createReadStream(name, { highWaterMark: 1 << 20 });
  source.on('data', (chunk: Buffer) => onBytes(chunk.length));
  if (!isGzipName(name)) return source;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  source.on('error', (err) => gunzip.destroy(err));
  return source.pipe(gunzip);
}

/**
 * The lines of a byte stream, in order. A last line without a newline is still yielded. When the
 * stream fails (a gzip that ends early, a read error), the lines read so far have been yielded
 * and `onEnd` is told where and why; the generator then returns rather than throws, so that the
 * caller can name the place in its summary.
 */
export async function* linesOf(
  stream: AsyncIterable<Buffer>,
  onEnd: (end: InputEnd) => void,
): AsyncGenerator<Line> {
  let carry: Buffer | undefined;
  let line = 0;
  try {
    for await (const chunk of stream) {
      let start = 0;
      if (carry !== undefined) {
        // Only the line that spans the two chunks is joined, not the whole chunk.
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          carry = Buffer.concat([carry, chunk]);
          continue;
        }
        const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
        const end =
          joined.length > 0 && joined[joined.length - 1] === 13 ? joined.length - 1 : joined.length;
        carry = undefined;
        line++;
        yield { text: joined.toString('utf8', 0, end), line };
        start = nl + 1;
      }
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        const end = nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl;
        line++;
        yield { text: chunk.toString('utf8', start, end), line };
        start = nl + 1;
      }
      if (start < chunk.length) carry = chunk.subarray(start);
    }
  } catch (err) {
    if (carry !== undefined && carry.length > 0) {
      line++;
      yield { text: carry.toString('utf8'), line };
    }
    onEnd({ afterLine: line, message: (err as Error).message });
    return;
  }
  if (carry !== undefined && carry.length > 0) {
    line++;
    yield { text: carry.toString('utf8'), line };
  }
}
