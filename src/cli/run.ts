import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { profileSnapshotFile, runScenarioUnderProfile } from '../engine/compare.js';
import { runScenario } from '../engine/coordinator.js';
import { openTarget } from '../engine/target.js';
import { ApfbenchError } from '../errors.js';
import {
  apiserverArgsOf,
  assertFlagsApplicable,
  auditPolicyOf,
  describeAuditPolicy,
  loadProfileFile,
  snapshotNote,
  type AuditPolicy,
} from '../profile/index.js';
import { buildRunReport } from '../report/index.js';
import type { RunResult } from '../result/result.js';
import { RESULT_FILE, writeResult } from '../result/write.js';
import { loadScenarioFile } from '../actors/scenario.js';
import { AgentServer } from '../agent/coordinator-server.js';
import { runOnAgents } from '../agent/run-on-agents.js';
import { workerCount } from '../engine/plan.js';
import type { WorkerPlacement } from '../engine/worker-handle.js';
import { agentRunOptions, agentTokenOf } from './agent.js';
import { checkOutputOptions, prepareRunCheck } from './check.js';
import { interruptible } from './interrupt.js';
import { checkOutDir } from './output.js';
import {
  assertScenarioWorkers,
  assertFaultsOnLocal,
  assertTargetArgs,
  clusterSelectionOf,
  defaultOutDir,
  openLiveMetrics,
  scenarioArguments,
  scenarioOverridesOf,
  targetOptions,
  targetOptionsOf,
  writeReportQuietly,
} from './options.js';
import { progressPrinter } from './progress.js';
import { summaryLines } from './summary.js';

export function runCommand(y: Argv) {
  return scenarioArguments(y).options({
    profile: {
      type: 'string',
      describe:
        'APF profile file to apply for the run and restore after it (API-server flags only on the local control plane)',
    },
    ...targetOptions,
    audit: {
      type: 'string',
      describe: `audit the run on the local control plane at LEVEL (--audit=LEVEL; bare --audit: ${RUN_AUDIT_DEFAULT}) or by a policy file, and keep the log in OUT/audit/ (same as --audit-policy)`,
      coerce: (value: string) => auditPolicyOf(value === '' ? RUN_AUDIT_DEFAULT : value),
    },
    check: {
      type: 'boolean',
      default: false,
      describe: 'after the run, check budgets (spec.budgets or --budget); exit 3 if one is broken',
    },
    'allow-errors': {
      type: 'boolean',
      default: false,
      describe:
        'exit 0 (or as --check says) even when the API server left more than 5 % of sends unanswered (status degraded)',
    },
    ...checkOutputOptions,
    ...agentRunOptions,
  });
}

type RunArgs = Awaited<ReturnType<ReturnType<typeof runCommand>['parseAsync']>>;

/**
 * The level of a bare `run --audit`: `Request` records everything a replay reads (user, groups,
 * verb, URI, code, timing) and the size of every write's body, without the response bodies
 * (every LIST's objects) that make `RequestResponse` the costliest level.
 */
export const RUN_AUDIT_DEFAULT = 'Request';

/** Where `run` keeps the audit log: beside result.json. */
export const runAuditLog = (out: string) => join(out, 'audit', 'audit.log');

/** `--audit` or `--audit-policy`, which mean the same on `run`; both at once is refused. */
export function runAuditPolicy(argv: {
  readonly audit?: AuditPolicy | undefined;
  readonly 'audit-policy'?: AuditPolicy | undefined;
}): AuditPolicy | undefined {
  const { audit } = argv;
  const policy = argv['audit-policy'];
  if (audit !== undefined && policy !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      `--audit (${describeAuditPolicy(audit)}) and --audit-policy (${describeAuditPolicy(policy)}) both set the audit policy: give one`,
      { kind: 'invalid-input' },
    );
  }
  return audit ?? policy;
}

/**
 * `apfbench run`: Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the load, drains, deletes the run's objects,
 * restores the flowcontrol objects a --profile changed, and still writes result.json (and the
 * report), then exits 130.
 */
export async function runHandler(argv: RunArgs): Promise<number> {
  const scenario = await loadScenarioFile(argv.scenario, scenarioOverridesOf(argv));
  const local = clusterSelectionOf(argv) === undefined;
  const profile =
    argv.profile === undefined
      ? undefined
      : { file: argv.profile, profile: await loadProfileFile(argv.profile) };
  // Before anything starts: flags cannot be set on a cluster apfbench did not start.
  if (profile !== undefined) {
    assertFlagsApplicable(profile.profile, local, profile.file);
  }
  assertTargetArgs(argv);
  const auditPolicy = runAuditPolicy(argv);
  await assertFaultsOnLocal(scenario, argv.scenario, argv);
  assertScenarioWorkers(scenario, argv.scenario, argv.workers);
  const out = argv.out ?? defaultOutDir(scenario.metadata.name);
  await checkOutDir(out, RESULT_FILE);
  const check = argv.check
    ? await prepareRunCheck(scenario, {
        baselines: argv.baseline,
        budget: argv.budget,
        junit: argv.junit,
        summary: argv.summary,
      })
    : undefined;
  // Listening before the control plane starts, so that agents can join while it does.
  const agents =
    argv.agents === undefined
      ? undefined
      : await AgentServer.listen({
          listen: argv.agentListen,
          allowRemote: argv['allow-remote'],
          token: await agentTokenOf(argv),
          agents: argv.agents,
          onRefusal: (line) => process.stderr.write(`refused ${line}\n`),
        });
  const printer = progressPrinter({ quiet: argv.quiet });
  const metrics = await openLiveMetrics(argv);
  const abort = interruptible(
    printer.onPhase,
    profile === undefined
      ? undefined
      : 'stopping the load, draining, cleaning up and restoring the flowcontrol objects',
  );
  let result: RunResult;
  try {
    const apiserverArgs = profile === undefined ? [] : apiserverArgsOf(profile.profile);
    if (local) {
      printer.onPhase(
        `starting an ephemeral local control plane${apiserverArgs.length > 0 ? ` with --${apiserverArgs.join(' --')}` : ''}`,
      );
    }
    const target = await openTarget(scenario, {
      ...targetOptionsOf(argv, printer.onPhase, printer.counter('building the control plane')),
      apiserverArgs,
      ...(auditPolicy === undefined ? {} : { auditPolicy, auditLogPath: runAuditLog(out) }),
      signal: abort.signal,
    });
    try {
      const baseOpts = {
        signal: abort.signal,
        workers: argv.workers,
        onProgress: printer.onProgress,
        onPhase: printer.onPhase,
        onFixtures: printer.counter('creating fixtures'),
        ...(metrics === undefined ? {} : { liveMetrics: metrics.live }),
      };
      const runLocalOrOn = async (runOpts: typeof baseOpts & { placement?: WorkerPlacement }) => {
        if (profile === undefined) return runScenario(scenario, target.run, runOpts);
        // The snapshot is written before anything changes: after a second Ctrl-C or a kill,
        // `apfbench profile restore --snapshot <out>/profile-snapshot.json` undoes the profile.
        // A control plane apfbench started dies with it, so only another cluster needs that.
        await mkdir(out, { recursive: true });
        const snapshotFile = profileSnapshotFile(out);
        if (!local) printer.onPhase(snapshotNote(snapshotFile));
        return runScenarioUnderProfile(scenario, target.run, profile, { ...runOpts, snapshotFile });
      };
      result =
        agents === undefined
          ? await runLocalOrOn(baseOpts)
          : await runOnAgents(
              agents,
              scenario,
              {
                joinTimeoutMs: argv.agentTimeout * 1000,
                workersPerAgent: workerCount(scenario, argv.workers),
                signal: abort.signal,
                onPhase: printer.onPhase,
              },
              (placement) => runLocalOrOn({ ...baseOpts, placement }),
            );
    } finally {
      printer.done();
      await target.close();
      await agents?.close();
    }
  } finally {
    abort.dispose();
    await metrics?.close();
  }
  const written = await writeResult(out, result);
  const file = written.path;
  const auditLine = result.audit === undefined ? '' : `audit log: ${result.audit.log}\n`;
  process.stdout.write(`${summaryLines(result).join('\n')}\nresult: ${file}\n${auditLine}`);
  if (written.failed !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_RESULT_FALLBACK',
      `could not write ${written.failed.path} (${written.failed.error}); the run's result is in ${file}`,
      { hint: `move it where you want it; apfbench report ${file} --out DIR renders its report` },
    );
  }
  const restoreError = result.profile?.restoreError;
  if (restoreError !== undefined) process.stderr.write(`warning: ${restoreError}\n`);
  if (argv.report)
    await writeReportQuietly(() => Promise.resolve(buildRunReport(result)), out, file);
  const status = statusExit(result, file, argv.allowErrors);
  if (status !== undefined) return status;
  const code = check === undefined ? 0 : await check(file);
  return code === 0 && restoreError !== undefined ? 1 : code;
}

/**
 * What a finished run's status means for the exit code: 130 when aborted; an error for a failed
 * run, and for a degraded one unless `allowErrors`; undefined to go on (check, exit 0).
 */
export function statusExit(
  result: Pick<RunResult, 'status' | 'reason'>,
  file: string,
  allowErrors: boolean,
): number | undefined {
  if (result.status === 'aborted') return 130;
  if (result.status === 'failed') {
    throw new ApfbenchError(
      'APFBENCH_RUN_FAILED',
      `run failed: ${result.reason ?? 'unknown reason'} (partial result in ${file})`,
    );
  }
  if (result.status === 'partial') {
    throw new ApfbenchError(
      'APFBENCH_AGENT_LOST',
      `run partial: ${result.reason ?? 'an agent was lost'} (result in ${file})`,
      {
        hint: 'the result keeps every interval the lost agent sent; `agents` in it names what was lost',
      },
    );
  }
  if (result.status === 'degraded' && !allowErrors) {
    throw new ApfbenchError(
      'APFBENCH_TARGET_UNREACHABLE',
      `run degraded: ${result.reason ?? 'the API server did not answer part of the load'} (result in ${file})`,
      {
        hint: 'its latencies describe only the requests that were answered; pass --allow-errors to accept such a run',
      },
    );
  }
  return undefined;
}
