import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { checkOutDir } from './output.js';
import { readReportInput, writeReport } from '../report/index.js';

export function reportCommand(y: Argv) {
  return y
    .positional('file', {
      type: 'string',
      demandOption: true,
      describe:
        'result.json written by apfbench run, comparison.json written by apfbench compare, or sweep.json (or its directory) written by apfbench sweep',
    })
    .options({
      out: { type: 'string', describe: 'output directory (default: the directory of FILE)' },
      png: {
        type: 'boolean',
        default: true,
        describe: 'also write one PNG per chart (--no-png skips)',
      },
    });
}

type ReportArgs = Awaited<ReturnType<ReturnType<typeof reportCommand>['parseAsync']>>;

/**
 * `apfbench report`: report.html, summary.md and PNG charts of a run or a comparison (the
 * profiles side by side), each path printed as written.
 */
export async function reportHandler(argv: ReportArgs): Promise<void> {
  const out = argv.out ?? ((await isDirectory(argv.file)) ? argv.file : dirname(argv.file));
  await checkOutDir(out, undefined, '--out');
  const model = await readReportInput(argv.file);
  await writeReport(model, out, {
    png: argv.png,
    onFile: (path) => process.stdout.write(`${path}\n`),
  });
}

const isDirectory = async (path: string) =>
  (await stat(path).catch(() => undefined))?.isDirectory() === true;
