import { ApfbenchError } from '../errors.js';
import {
  deriveScenario,
  TALLY_STEPS_PER_STEP,
  type DeriveOptions,
  type DerivedScenario,
  type DeriveSummary,
} from './derive.js';
import { readAuditLogs, type ReadOptions } from './read-log.js';
import { Tally } from './tally.js';

export interface FromAuditOptions extends DeriveOptions, ReadOptions {
  /** Refuse a log with any line that is not an audit event, or an input that ended early. */
  readonly strict: boolean;
}

export interface FromAuditResult {
  readonly scenario: DerivedScenario;
  readonly summary: DeriveSummary;
  /** What the user must hear even when the scenario is written: lines skipped, inputs cut. */
  readonly warnings: readonly string[];
}

/** One line per problem kind and per input that ended early, with its first place. */
function warningsOf(summary: DeriveSummary): string[] {
  const warnings: string[] = [];
  for (const p of summary.problems) {
    warnings.push(`${p.count} line(s) ${p.meaning}, first ${p.lines[0] ?? ''}`);
  }
  for (const i of summary.inputs) {
    if (i.brokeAfterLine !== undefined) {
      warnings.push(
        `${i.name === '-' ? 'stdin' : i.name} ended early after line ${i.brokeAfterLine}: ${i.brokeBecause}`,
      );
    }
  }
  return warnings;
}

/**
 * `apfbench scenario from-audit`: reads the logs as streams and derives a scenario of replay
 * groups with its summary. Throws APFBENCH_BAD_AUDIT_LOG (exit 2) when the logs hold no request to
 * derive from, or, with `strict`, when any line is not an event or an input ended early; otherwise
 * such lines are counted, named in the summary and returned as warnings.
 */
export async function fromAudit(
  names: readonly string[],
  opts: FromAuditOptions,
): Promise<FromAuditResult> {
  const tally = new Tally(
    Math.max(1, Math.floor(opts.resolutionMs / TALLY_STEPS_PER_STEP)),
    {
      ...(opts.fromMs === undefined ? {} : { fromMs: opts.fromMs }),
      ...(opts.toMs === undefined ? {} : { toMs: opts.toMs }),
    },
    opts.mode === 'exact',
  );
  await readAuditLogs(names, tally, opts);
  const { scenario, summary } = deriveScenario(tally, opts);
  const warnings = warningsOf(summary);
  if (tally.requests === 0) {
    const lines = tally.inputs.reduce((n, i) => n + i.lines, 0);
    const why =
      lines === 0
        ? 'the log is empty'
        : tally.outsideWindow > 0
          ? `none of its ${tally.outsideWindow} request(s) is inside --from/--to`
          : `none of its ${lines} line(s) is a ResponseComplete or Panic audit event`;
    throw new ApfbenchError(
      'APFBENCH_BAD_AUDIT_LOG',
      [`${names.join(', ')}: no request to derive a scenario from: ${why}`, ...warnings].join(
        '\n  ',
      ),
      {
        hint: 'Give audit.k8s.io/v1 Event JSON lines, as kube-apiserver --audit-log-path writes them (level Metadata or above).',
      },
    );
  }
  if (scenario.spec.actors.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_AUDIT_LOG',
      `${names.join(', ')}: no recorded request can be replayed: ${summary.notRepresented
        .map((e) => `${e.what} (${e.count})`)
        .join(', ')}`,
      { hint: 'docs/replay.md lists what a replay group can send.' },
    );
  }
  if (opts.strict && warnings.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_AUDIT_LOG',
      [`${names.join(', ')}: refused with --strict:`, ...warnings].join('\n  '),
      { hint: 'Without --strict, such lines are counted and named in the summary.' },
    );
  }
  return { scenario, summary, warnings };
}
