import yargs from 'yargs';
import { agentCommand, agentHandler } from './agent.js';
import { agentsCommand } from './agents.js';
import { checkCommand, checkHandler } from './check.js';
import { clusterCommand } from './cluster.js';
import { demoCommand, demoHandler } from './demo.js';
import { compareCommand, compareHandler } from './compare.js';
import { deferred, takeDeferred } from './deferred.js';
import { joinNegativeValues } from './negative-values.js';
import { printError } from './output.js';
import { profileCommand } from './profile.js';
import { reportCommand, reportHandler } from './report.js';
import { runCommand, runHandler } from './run.js';
import { sweepCommand, sweepHandler } from './sweep.js';
import { scenarioCommand } from './scenario.js';
import { keepStdinDash } from './stdin-dash.js';
import { tuneCommand, tuneHandler } from './tune.js';
import { validateCommand, validateHandler } from './validate.js';

/**
 * Parses argv and runs one command. Returns the exit code; only this layer
 * prints errors (0 ok, 1 internal, 2 invalid input, 3 check failed, 130 interrupted: each
 * error code's is in src/error-codes.ts and docs/errors.md).
 */
export async function main(args: string[]): Promise<number> {
  let failure: number | undefined;
  let code: number | undefined;
  try {
    await yargs(keepStdinDash(joinNegativeValues(args)))
      .scriptName('apfbench')
      .usage(
        '$0 <command> [options]\n\nLoad and fairness benchmarks for the Kubernetes API server under API Priority and Fairness.',
      )
      .command(
        'cluster',
        'start, stop and inspect a local control plane (etcd + kube-apiserver)',
        clusterCommand,
      )
      .command(
        'scenario',
        'make scenarios: from-audit derives one from audit logs',
        scenarioCommand,
      )
      .command('profile', 'validate, diff, apply and restore APF profiles by hand', profileCommand)
      .command(
        'validate <file>',
        'check a scenario file and report every problem with its location',
        validateCommand,
        deferred(validateHandler),
      )
      .command(
        'run <scenario>',
        'run a scenario (optionally under an APF --profile) and write result.json and its report',
        runCommand,
        deferred(runHandler),
      )
      .command(
        'report <file>',
        'render report.html, PNG charts and summary.md from a result.json, comparison.json or sweep.json',
        reportCommand,
        deferred(reportHandler),
      )
      .command(
        'check',
        'check results against budgets and a baseline; exit 3 when one is broken',
        checkCommand,
        deferred(checkHandler),
      )
      .command(
        'compare <scenario>',
        'run a scenario under several APF profiles and compare them side by side',
        compareCommand,
        deferred(compareHandler),
      )
      .command(
        'sweep <scenario>',
        'run a scenario at rising load levels under each APF profile and find where each breaks',
        sweepCommand,
        deferred(sweepHandler),
      )
      .command(
        'tune <scenario>',
        'search APF settings from a space file for the profile that meets every budget and maximises an objective',
        tuneCommand,
        deferred(tuneHandler),
      )
      .command(
        'demo',
        'compare the default APF configuration with isolate-tenants on noisy-neighbor, locally, and write the report',
        demoCommand,
        deferred(demoHandler),
      )
      .command(
        'agent',
        'run a shard of a coordinator’s load (`run --agents N`) on this machine, over gRPC',
        agentCommand,
        deferred(agentHandler),
      )
      .command('agents', 'what running agents elsewhere needs: manifest', agentsCommand)
      .demandCommand(1, 'say which command; see --help')
      .strict()
      .recommendCommands()
      .wrap(Math.min(110, process.stdout.columns || 110))
      .fail((msg, err) => {
        // yargs wraps a refused option value (a `coerce` that threw) in a YError: bad input too.
        if (err && err.name !== 'YError') throw err;
        process.stderr.write(`error: ${msg ?? err?.message}\nsee: apfbench --help\n`);
        failure = 2;
      })
      .parseAsync();
    const command = takeDeferred();
    if (failure === undefined && command !== undefined) {
      const result = await command();
      if (typeof result === 'number') code = result;
    }
  } catch (err) {
    return printError(err);
  }
  return failure ?? code ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
}
