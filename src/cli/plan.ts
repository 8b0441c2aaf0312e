// `apfbench validate --plan`: the run plan as a table for a human, or as JSON.
import type { RunPlan } from '../engine/plan.js';
import { alignRows } from './table.js';

const whole = (x: number) => String(Math.round(x));
const seconds = (ms: number) => `${ms / 1000}s`;

/** The plan as JSON: per worker its instance counts by group, not every instance. */
export function planJson(plan: RunPlan) {
  return {
    ...plan,
    workers: plan.workers.map(({ byGroup, connections }) => ({
      instances: Object.values(byGroup).reduce((n, k) => n + k, 0),
      byGroup,
      connections,
    })),
  };
}

/**
 * The plan as aligned tables: the groups (instances, requests over the run and after the
 * warm-up, their rate, ledger writes, connections per instance), the workers, the fixtures.
 */
export function planTable(plan: RunPlan): string[] {
  const measuredS = (plan.durationMs - plan.warmupMs) / 1000;
  const warmup = plan.warmupMs > 0 ? `, warm-up ${seconds(plan.warmupMs)}` : '';
  const groups = alignRows(
    [
      ['group', 'type', 'instances', 'requests', 'measured', 'req/s', 'writes', 'conns/instance'],
      ...plan.groups.map((g) => [
        g.name,
        g.type,
        String(g.instances),
        g.requests === undefined ? '-' : whole(g.requests.total),
        g.requests === undefined ? '-' : whole(g.requests.measured),
        g.requests === undefined ? '-' : (g.requests.measured / measuredS).toFixed(1),
        whole(g.writes),
        `${g.connectionsPerInstance.inFlight}+${g.connectionsPerInstance.held}`,
      ]),
    ],
    new Set([2, 3, 4, 5, 6]),
  );
  const workers = alignRows(
    [
      ['worker', 'instances', 'connections', 'by group'],
      ...plan.workers.map((w, i) => [
        String(i),
        String(w.instances.length),
        String(w.connections),
        Object.entries(w.byGroup)
          .map(([group, n]) => `${group} ${n}`)
          .join(', '),
      ]),
    ],
    new Set([0, 1, 2]),
  );
  const fixtures =
    plan.fixtures.length === 0
      ? ['fixtures: none']
      : alignRows(
          [
            ['fixture', 'namespace', 'objects', 'bytes'],
            ...plan.fixtures.map((f) => [f.kind, f.namespace, String(f.count), String(f.bytes)]),
          ],
          new Set([2, 3]),
        );
  const faults =
    plan.faults === undefined
      ? []
      : [
          '',
          ...alignRows(
            [
              ['fault', 'at', 'duration'],
              ...plan.faults.map((f) => [f.kind, seconds(f.at), seconds(f.duration)]),
            ],
            new Set([1, 2]),
          ),
          'faults: at = from the start of the measured window; local control plane only',
        ];
  return [
    `plan: ${seconds(plan.durationMs)}${warmup}, ${plan.workers.length} worker thread(s), ${whole(plan.writes)} ledger write(s)`,
    ...groups,
    `requests: first attempts on the group's own schedule (means); "-": it only answers other groups`,
    '',
    ...workers,
    '',
    ...fixtures,
    ...faults,
  ];
}
