// docs/errors.md as text, from the catalogue of error codes: a pure function, so that a unit
// test can tell when the committed file has fallen behind the catalogue.
import { ERROR_CODES, EXIT_CODE_OF_KIND, type ErrorCode } from '../src/error-codes.js';

const INTRO = `# Error codes

<!-- Generated from src/error-codes.ts by \`npm run gen:errors-doc\`; do not edit by hand. -->

apfbench reports a failure as \`error [CODE]: message\`, often followed by \`hint: what to do\`.
The codes are stable: scripts may match on them. Set \`APFBENCH_DEBUG=1\` to also print the
underlying cause.

Exit status: 0 ok, 1 an internal or environment error (a missing tool, a busy port, a failed
request), 2 invalid input or usage (nothing was started), 3 a budget or regression check
failed, 130 interrupted. An error without a code is a bug in apfbench and exits 1.
`;

/** A Markdown table whose columns are padded to their widest cell, as a formatter would. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function errorsDoc(): string {
  const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).sort();
  const rows = codes.map((code) => {
    const { kind, meaning } = ERROR_CODES[code];
    return [`\`${code}\``, String(EXIT_CODE_OF_KIND[kind]), meaning];
  });
  return `${INTRO}\n${table(['Code', 'Exit', 'Meaning'], rows)}\n`;
}
