import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { fromAudit, summaryMarkdown, type ReadProgress } from '../audit/index.js';
import { ApfbenchError } from '../errors.js';
import { parseDuration, parseSize } from '../validation/units.js';
import { deferred } from './deferred.js';
import { interruptible } from './interrupt.js';
import { positiveInteger } from './options.js';
import { checkOutFile, progress } from './output.js';
import { progressPrinter } from './progress.js';
import { stdinDash } from './stdin-dash.js';

const badFlag = (flag: string, message: string) =>
  new ApfbenchError('APFBENCH_BAD_FLAG', `--${flag}: ${message}`, { kind: 'invalid-input' });

/** A yargs `coerce` for --from/--to: an RFC 3339 time, as epoch ms. */
const timeFlag = (flag: string) => (value: string | undefined) => {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || !Number.isFinite(ms)) {
    throw badFlag(flag, `must be a time such as 2026-12-02T10:00:00Z (got ${value})`);
  }
  return ms;
};

const positiveNumber = (flag: string) => (value: number) => {
  if (!Number.isFinite(value) || value <= 0) throw badFlag(flag, `must be > 0 (got ${value})`);
  return value;
};

function fromAuditCommand(y: Argv) {
  return y
    .positional('logs', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'audit logs: audit.k8s.io/v1 Event JSON lines, .gz too, - for stdin',
    })
    .options({
      out: { type: 'string', demandOption: true, describe: 'the scenario file to write' },
      name: { type: 'string', describe: 'metadata.name (default: from --out)' },
      resolution: {
        type: 'string',
        default: '10s',
        describe: 'length of a step of the per-flow rate timelines',
        coerce: (v: string) => {
          const d = parseDuration(v);
          if (!d.ok || d.value < 10)
            throw badFlag('resolution', `must be a duration >= 10ms (got ${v})`);
          return d.value;
        },
      },
      from: {
        type: 'string',
        describe: 'use requests received at or after this time (RFC 3339)',
        coerce: timeFlag('from'),
      },
      to: {
        type: 'string',
        describe: 'use requests received before this time (RFC 3339)',
        coerce: timeFlag('to'),
      },
      speed: {
        type: 'number',
        default: 1,
        describe: 'time runs this many times as fast',
        coerce: positiveNumber('speed'),
      },
      scale: {
        type: 'number',
        default: 1,
        describe: 'multiply every rate by this',
        coerce: positiveNumber('scale'),
      },
      top: {
        type: 'number',
        describe:
          'keep the N busiest flows; merge the rest into one "other" group per priority level',
        coerce: positiveInteger('top', 100_000),
      },
      anonymize: { type: 'boolean', default: false, describe: 'hash user names (groups are kept)' },
      mode: {
        choices: ['timeline', 'exact'] as const,
        default: 'timeline' as const,
        describe:
          'timeline: per-flow rates and mix; exact: every recorded request at its offset (memory grows with the log)',
      },
      size: {
        type: 'string',
        default: '1Ki',
        describe: "payload of a write whose size the log's level did not record",
        coerce: (v: string) => {
          const s = parseSize(v);
          if (!s.ok) throw badFlag('size', `${s.message} (got ${v})`);
          return s.value;
        },
      },
      strict: {
        type: 'boolean',
        default: false,
        describe: 'refuse a log with lines that are not audit events, or that ends early',
      },
      quiet: { type: 'boolean', default: false, describe: 'no progress' },
    });
}

type FromAuditArgs = Awaited<ReturnType<ReturnType<typeof fromAuditCommand>['parseAsync']>>;

/** The scenario as YAML, lists of numbers (rates, offsets, entries) on one line each. */
export function scenarioYaml(scenario: unknown): string {
  const doc = new Document(scenario);
  visit(doc, {
    Seq(_, seq) {
      if (isSeq(seq) && seq.items.every((i) => isScalar(i) && typeof i.value === 'number')) {
        seq.flow = true;
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** `foo.yaml` → `foo.summary.md`, next to it. */
export const summaryPathOf = (out: string) => `${out.replace(/\.ya?ml$/, '')}.summary.md`;

const MiB = 1024 * 1024;

/**
 * `apfbench scenario from-audit`: a scenario of replay groups from audit logs, and its summary
 * next to it. Lines that are not events are warned about here and named in the summary.
 */
async function fromAuditHandler(argv: FromAuditArgs): Promise<void> {
  if (argv.mode === 'exact' && argv.scale !== 1) {
    throw badFlag(
      'scale',
      'applies to --mode timeline only: exact mode sends each recorded request once',
    );
  }
  if (argv.from !== undefined && argv.to !== undefined && argv.to <= argv.from) {
    throw badFlag('to', 'must be after --from');
  }
  const summaryPath = summaryPathOf(argv.out);
  await checkOutFile('--out', argv.out);
  // A progress bar on a terminal only: the reading is quick enough that a log needs no lines.
  const printer = progressPrinter({ quiet: argv.quiet || process.stderr.isTTY !== true });
  const count = printer.counter('reading (MiB)');
  const onProgress = (p: ReadProgress) => {
    const done = Math.round(p.bytes / MiB);
    count(done, p.totalBytes === undefined ? done : Math.round(p.totalBytes / MiB));
  };
  const { signal, dispose } = interruptible(progress, 'stopping the reading');
  try {
    const name =
      argv.name ??
      basename(argv.out)
        .replace(/\.ya?ml$/, '')
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 63);
    const result = await fromAudit(argv.logs.map(stdinDash), {
      name: name || 'from-audit',
      resolutionMs: argv.resolution,
      speed: argv.speed,
      scale: argv.scale,
      ...(argv.top === undefined ? {} : { top: argv.top }),
      anonymize: argv.anonymize,
      mode: argv.mode,
      defaultSize: argv.size,
      ...(argv.from === undefined ? {} : { fromMs: argv.from }),
      ...(argv.to === undefined ? {} : { toMs: argv.to }),
      strict: argv.strict,
      onProgress,
      signal,
    });
    printer.done();
    await writeFile(argv.out, scenarioYaml(result.scenario));
    await writeFile(summaryPath, summaryMarkdown(result.summary, basename(argv.out)));
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    const s = result.summary;
    process.stdout.write(
      `${argv.out}: ${result.scenario.spec.actors.length} replay group(s) from ${s.flows} flow(s), ${s.requests} request(s)\n${summaryPath}\n`,
    );
  } finally {
    printer.done();
    dispose();
  }
}

export function scenarioCommand(yargs: Argv): Argv {
  return yargs
    .command(
      'from-audit <logs..>',
      'derive a scenario of replay groups from kube-apiserver audit logs (docs/replay.md)',
      fromAuditCommand,
      deferred(fromAuditHandler),
    )
    .demandCommand(1, 'say which scenario command; see --help');
}
