/**
 * yargs drops a bare `-` from the arguments (`from-audit a.log - b.log` gives logs [a.log,
 * b.log], and `from-audit -` none at all), where a user means stdin. Before parsing, each `-` is
 * swapped for a token no file name can be (it holds a NUL); `stdinDash` swaps it back.
 */
const STDIN_TOKEN = '\u0000-';

export function keepStdinDash(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) => (a === '-' && (end === -1 || i < end) ? STDIN_TOKEN : a));
}

/** `-` again where keepStdinDash put its token. */
export const stdinDash = (arg: string): string => (arg === STDIN_TOKEN ? '-' : arg);
