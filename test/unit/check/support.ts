import { readFileSync } from 'node:fs';
import type { LoadedRun } from '../../../src/check/index.js';
import { KubeletMetric, kubeletSections } from '../../../src/metrics/heartbeats.js';
import {
  parseRunResult,
  type ActorGroupResult,
  type RunResult,
} from '../../../src/result/result.js';

const FIXTURE = 'test/fixtures/results/tenant-smoke.json';
const fixture = parseRunResult({
  source: FIXTURE,
  value: JSON.parse(readFileSync(FIXTURE, 'utf8')),
});

type Requests = ActorGroupResult['requests'];

/**
 * The fixture result with a second group, `kubelets`, carrying a heartbeats section, and the
 * given changes to the tenant's requests.
 */
export function result(
  tenant: Partial<Omit<Requests, 'latencyMs'>> & { p99?: number } = {},
  extra: Partial<RunResult> = {},
): RunResult {
  const base = fixture.actors.tenant;
  if (base === undefined) throw new Error('fixture has no tenant group');
  const { p99, ...requests } = tenant;
  return {
    ...fixture,
    actors: {
      tenant: {
        ...base,
        requests: {
          ...base.requests,
          ...requests,
          latencyMs: { ...base.requests.latencyMs, ...(p99 === undefined ? {} : { p99 }) },
        },
      },
      kubelets: {
        type: 'kubelet',
        count: 10,
        ...kubeletSections(
          { counters: { [KubeletMetric.late]: 2 }, measures: {} },
          { watchPods: false },
        ),
        requests: { ...base.requests, byCode: { '200': 40, '429': 3 } },
      },
    },
    ...extra,
  };
}

export const run = (r: RunResult, source = 'result.json'): LoadedRun => ({
  source,
  profile: undefined,
  result: r,
});
