// The load's side of every run, measured beside the actors from what the workers share and
// report: whether the server answered at all (target health), the write ledger's verdict (lost
// watch events), the generator's own health and its connections. Their maths is in metrics/; none of them does
// I/O, and none fails a run.
import { definitionOf, ledgerCounterSlots, transportOf } from '../actors/index.js';
import { clientConnections, type PoolCount } from '../kube/index.js';
import { capInput, judgeRun, type GeneratorHealth } from '../metrics/generator-health.js';
import { describeUnreachable, targetHealth, type TargetHealth } from '../metrics/target-health.js';
import { totalsByGroup } from '../metrics/timeline-aggregator.js';
import {
  WriteLedger,
  ledgerCapacityFor,
  mergeLedgerScans,
  type LedgerScan,
} from '../metrics/write-ledger.js';
import { groupResult } from '../result/group-result.js';
import type { RunResult, RunStatus } from '../result/result.js';
import type { Scenario } from '../actors/scenario.js';
import type { Measurement } from './measurement.js';
import type { WorkerInit } from './protocol.js';

/**
 * The `targetHealth` section: the sends of the measured window that got no HTTP response. A run
 * that completed with too many of them becomes `degraded`, with the reason; one that failed or
 * was aborted keeps its status. First in the coordinator's list, so that every later measurement
 * sees the run's final status.
 */
export function targetHealthMeasurement(): Measurement<{
  targetHealth: TargetHealth;
  status?: RunStatus;
  reason?: string;
}> {
  return {
    finish: ({ result, measured }) => {
      const health = targetHealth(measured.totals, measured.timeline);
      if (result.status !== 'completed' || !health.unreachable) {
        return Promise.resolve({ targetHealth: health });
      }
      return Promise.resolve({
        targetHealth: health,
        status: 'degraded',
        reason: describeUnreachable(health),
      });
    },
  };
}

/** The write ledger as a measurement, with what each worker needs to attach to it. */
export interface WriteLedgerMeasurement extends Measurement<Pick<RunResult, 'actors'>> {
  /** Part of every worker's `init` message: the ledger's buffer, shared, not copied. */
  readonly workerInit: Pick<WorkerInit, 'ledger'>;
  /** This process's ledger as it stands (an agent sends it once its workers are done). */
  readonly scan: () => LedgerScan;
}

/**
 * The run's write ledger, sized for the `writes` the plan expects (see
 * ActorDefinition.expectedWrites), with a margin for Poisson schedules. In a distributed run each
 * agent keeps its own and reports its figures with its last `done`; they are added to this one's
 * (mergeLedgerScans), which its agents' workers never write. Its `finish` adds the
 * counters each group's actor type takes from the ledger (`watch.lost`, ...) to that group's
 * result, which it rebuilds with them. They cover the whole run, warm-up included: a write in
 * the warm-up whose event never came is still lost.
 */
export function writeLedgerMeasurement(scenario: Scenario, writes: number): WriteLedgerMeasurement {
  const ledger = WriteLedger.create(
    ledgerCapacityFor(writes * 1.2 + 1000),
    ledgerCounterSlots(scenario),
  );
  // Remote agents' ledgers, each scanned by its agent once its workers were done.
  const remote: LedgerScan[] = [];
  return {
    workerInit: { ledger: ledger.shared },
    scan: () => ledger.scan(),
    interval: (report) => {
      if (report.type === 'done' && report.ledger !== undefined) remote.push(report.ledger);
    },
    finish: ({ result, measured }) => {
      // Every worker is done (watchers included, after their grace): what the ledger holds is final.
      const scan =
        remote.length === 0 ? ledger.scan() : mergeLedgerScans([ledger.scan(), ...remote]);
      const fromLedger = ledgerCounters(scenario, scan);
      const totals = totalsByGroup(measured);
      const actors = { ...result.actors };
      for (const group of scenario.spec.actors) {
        const counters = fromLedger.get(group.name);
        if (counters !== undefined) {
          actors[group.name] = groupResult(group, totals.get(group.name), counters);
        }
      }
      return Promise.resolve({ actors });
    },
  };
}

/** The ledger's verdict as counters of the writing groups, as each group's actor type names them. */
function ledgerCounters(scenario: Scenario, scan: LedgerScan): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const [tag, t] of scan.byTag) {
    const group = scenario.spec.actors[tag];
    if (group === undefined) continue;
    const counters = definitionOf(group).ledgerCounters?.(t, group);
    if (counters !== undefined) out.set(group.name, counters);
  }
  return out;
}

/**
 * The `generator` section: each worker's health, from its `done` report, judged together with
 * the groups that dropped sends at their in-flight cap, and the requests the workers abandoned
 * when the drain ran out.
 */
export function generatorMeasurement(
  scenario: Scenario,
): Measurement<Pick<RunResult, 'generator'>> {
  const health: GeneratorHealth[] = [];
  let abandoned = 0;
  return {
    interval: (report) => {
      if (report.type !== 'done') return;
      health[report.workerIndex] = report.health;
      abandoned += report.abandoned;
    },
    finish: ({ measured }) => {
      const totals = totalsByGroup(measured);
      const caps = scenario.spec.actors.flatMap((g) => capInput(g, totals.get(g.name)) ?? []);
      const workers = health.filter((h) => h !== undefined);
      return Promise.resolve({
        generator: { ...judgeRun(workers, caps), abandonedRequests: abandoned },
      });
    },
  };
}

/**
 * The `clientConnections` section: each connection pool's connections (the groups' resolved
 * `transport`), from the workers' `done` reports (a remote worker's agent relays its own).
 * Absent when no worker reported them.
 */
export function clientConnectionsMeasurement(
  scenario: Scenario,
): Measurement<Partial<Pick<RunResult, 'clientConnections'>>> {
  const counts: PoolCount[] = [];
  let reported = false;
  return {
    interval: (report) => {
      if (report.type !== 'done' || report.connections === undefined) return;
      reported = true;
      counts.push(...report.connections);
    },
    finish: () => {
      if (!reported) return Promise.resolve({});
      const groups = scenario.spec.actors.map((g) => ({
        name: g.name,
        transport: transportOf(g, scenario.spec.transport),
      }));
      return Promise.resolve({ clientConnections: clientConnections(groups, counts) });
    },
  };
}
