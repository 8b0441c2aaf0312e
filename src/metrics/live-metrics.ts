/**
 * The harness's own figures while a run goes, in Prometheus' exposition format (`prom-client`,
 * on a registry of its own, never the library's global one), so that a long run can be watched
 * in Grafana beside the API server's `/metrics`. Fed once per interval from what the workers send
 * (merged HDR histograms and counters, never a message per request); nothing here does I/O.
 *
 * Histograms: prom-client's `Histogram` counts one observation at a time, and observing every
 * request again from the workers' merged histograms would cost the coordinator work per request,
 * which the worker protocol exists to avoid. `BucketedHistogram` below therefore keeps bucket
 * counts of its own, added a whole interval at a time from the HDR histograms, and hands them to
 * prom-client's registry in the shape its own histograms have.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
  type MetricType,
  type MetricObjectWithValues,
  type MetricValueWithName,
} from 'prom-client';
import {
  countsPerBucket,
  createAccumulator,
  decode,
  merge,
  type DurationHistogram,
} from './histogram.js';
import { judgeSaturation, type LoopSample } from './generator-health.js';
import { KubeletMetric } from './heartbeats.js';
import type { IntervalSnapshot } from './timeline-snapshot.js';

/** Every series name apfbench exposes; the Grafana dashboard in examples/grafana uses these. */
export const LiveMetric = {
  runInfo: 'apfbench_run_info',
  sent: 'apfbench_requests_sent_total',
  dropped: 'apfbench_requests_dropped_total',
  completed: 'apfbench_requests_completed_total',
  responses: 'apfbench_responses_total',
  inFlight: 'apfbench_requests_in_flight',
  latency: 'apfbench_request_latency_seconds',
  scheduleLag: 'apfbench_schedule_lag_seconds',
  heartbeatGap: 'apfbench_heartbeat_gap_seconds',
  heartbeatsLate: 'apfbench_heartbeats_late_total',
  heartbeatsMissed: 'apfbench_heartbeats_missed_total',
  eventLoopDelay: 'apfbench_generator_event_loop_delay_p99_seconds',
  eventLoopUtilization: 'apfbench_generator_event_loop_utilization',
  workerScheduleLag: 'apfbench_generator_schedule_lag_p99_seconds',
  saturated: 'apfbench_generator_saturated',
} as const;

type LiveMetricName = (typeof LiveMetric)[keyof typeof LiveMetric];

/** What each series means, served as its HELP (the README's table says the same). */
const HELP: Readonly<Record<LiveMetricName, string>> = {
  [LiveMetric.runInfo]: '1 for each run: its id, scenario and profile.',
  [LiveMetric.sent]: 'Sends started on schedule (first attempts).',
  [LiveMetric.dropped]: "Sends due while the group's in-flight cap was reached; not sent.",
  [LiveMetric.completed]:
    'Logical requests finished (a retried request once), answered or failed in transport.',
  [LiveMetric.responses]:
    'Responses to every attempt by HTTP status code, or error:<code> for transport errors.',
  [LiveMetric.inFlight]: 'Requests sent and not yet finished.',
  [LiveMetric.latency]:
    'Completion minus intended send time, retries included (no coordinated omission).',
  [LiveMetric.scheduleLag]: 'Actual minus intended send time, one value per send.',
  [LiveMetric.heartbeatGap]:
    'Time between consecutive successful Lease renewals of one simulated node.',
  [LiveMetric.heartbeatsLate]: 'Heartbeat gaps over 1.5 x renewInterval, up to leaseDuration.',
  [LiveMetric.heartbeatsMissed]:
    'Heartbeat gaps over leaseDuration: the node would have gone NotReady.',
  [LiveMetric.eventLoopDelay]:
    "Event-loop delay p99 of a worker thread over its last interval, beyond the monitor's resolution.",
  [LiveMetric.eventLoopUtilization]: 'Share of its last interval a worker thread was busy, 0 to 1.',
  [LiveMetric.workerScheduleLag]:
    "Schedule lag p99 of a worker thread's sends over its last interval.",
  [LiveMetric.saturated]:
    "1 when a worker thread's last interval passed a saturation threshold: the generator, not the server, shaped the figures.",
};

/**
 * Latency buckets (s): fine below 100 ms, where a healthy server answers, then the
 * kube-apiserver's own `apiserver_request_duration_seconds` bounds up to a minute, so that the
 * two quantiles can be read side by side.
 */
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10, 15, 30, 60,
] as const;

/** Schedule lag (s): a healthy generator stays within a few timer steps (1-5 ms). */
export const SCHEDULE_LAG_BUCKETS_S = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
] as const;

/** Heartbeat gaps (s) around the kubelet's 10 s renew interval, late at 15 s, missed at 40 s. */
export const HEARTBEAT_GAP_BUCKETS_S = [5, 7.5, 10, 11, 12.5, 15, 20, 30, 40, 60, 120] as const;

/** The run the figures that follow belong to. */
export interface LiveRun {
  readonly runId: string;
  readonly scenario: string;
  readonly profile?: string | undefined;
}

/** One worker message as the coordinator received it. */
export interface LiveBatch {
  readonly workerIndex: number;
  readonly snapshots: readonly IntervalSnapshot[];
  /** The worker's event loop over its last interval; absent in its final message. */
  readonly loop?: LoopSample | undefined;
}

type GroupLabel = 'run' | 'group' | 'phase';
const GROUP_LABELS: GroupLabel[] = ['run', 'group', 'phase'];
const WORKER_LABELS = ['run', 'worker'];

export class LiveMetrics {
  readonly registry = new Registry();
  private run: LiveRun | undefined;
  private readonly inFlightByGroup = new Map<string, number>();

  private readonly runInfo = this.gauge(LiveMetric.runInfo, ['run', 'scenario', 'profile']);
  private readonly inFlight = this.gauge(LiveMetric.inFlight, ['run', 'group']);
  private readonly sent = this.counter(LiveMetric.sent);
  private readonly dropped = this.counter(LiveMetric.dropped);
  private readonly completed = this.counter(LiveMetric.completed);
  private readonly responses = this.counter(LiveMetric.responses, ['code']);
  private readonly heartbeatsLate = this.counter(LiveMetric.heartbeatsLate);
  private readonly heartbeatsMissed = this.counter(LiveMetric.heartbeatsMissed);
  private readonly latency = this.histogram(LiveMetric.latency, LATENCY_BUCKETS_S);
  private readonly scheduleLag = this.histogram(LiveMetric.scheduleLag, SCHEDULE_LAG_BUCKETS_S);
  private readonly heartbeatGap = this.histogram(LiveMetric.heartbeatGap, HEARTBEAT_GAP_BUCKETS_S);
  private readonly eventLoopDelay = this.gauge(LiveMetric.eventLoopDelay, WORKER_LABELS);
  private readonly eventLoopUtilization = this.gauge(
    LiveMetric.eventLoopUtilization,
    WORKER_LABELS,
  );
  private readonly workerScheduleLag = this.gauge(LiveMetric.workerScheduleLag, WORKER_LABELS);
  private readonly saturated = this.gauge(LiveMetric.saturated, WORKER_LABELS);

  /** Figures from now on belong to `run` (compare: one run after another). */
  startRun(run: LiveRun): void {
    this.run = run;
    this.inFlightByGroup.clear();
    this.runInfo.set({ run: run.runId, scenario: run.scenario, profile: run.profile ?? '' }, 1);
  }

  /** Adds one worker message. Never throws for figures it does not know; ignored before startRun. */
  add(batch: LiveBatch): void {
    const run = this.run;
    if (run === undefined) return;
    const workerLag = createAccumulator();
    for (const s of batch.snapshots) {
      // By the window of the requests' intended send times, as result.json counts them.
      const labels = { run: run.runId, group: s.group, phase: s.window };
      this.sent.inc(labels, s.sent);
      this.dropped.inc(labels, s.dropped);
      this.completed.inc(labels, s.completed);
      for (const [code, n] of Object.entries(s.byCode)) this.responses.inc({ ...labels, code }, n);
      this.heartbeatsLate.inc(labels, s.counters[KubeletMetric.late] ?? 0);
      this.heartbeatsMissed.inc(labels, s.counters[KubeletMetric.missed] ?? 0);
      this.latency.add(labels, decode(s.latency));
      const lag = decode(s.scheduleLag);
      this.scheduleLag.add(labels, lag);
      merge(workerLag, lag);
      const gaps = s.measures[KubeletMetric.gap];
      if (gaps !== undefined) this.heartbeatGap.add(labels, decode(gaps));
      const inFlight = (this.inFlightByGroup.get(s.group) ?? 0) + s.sent - s.completed;
      this.inFlightByGroup.set(s.group, inFlight);
      this.inFlight.set({ run: run.runId, group: s.group }, Math.max(0, inFlight));
    }
    if (batch.loop === undefined) return;
    const worker = { run: run.runId, worker: String(batch.workerIndex) };
    const lagP99Ms =
      workerLag.hdr.totalCount === 0 ? 0 : workerLag.hdr.getValueAtPercentile(99) / 1000;
    this.eventLoopDelay.set(worker, batch.loop.eventLoopDelayMs.p99 / 1000);
    this.eventLoopUtilization.set(worker, batch.loop.utilization);
    this.workerScheduleLag.set(worker, lagP99Ms / 1000);
    const { saturated } = judgeSaturation({
      utilization: batch.loop.utilization,
      eventLoopDelayP99Ms: batch.loop.eventLoopDelayMs.p99,
      scheduleLagP99Ms: lagP99Ms,
    });
    this.saturated.set(worker, saturated ? 1 : 0);
  }

  /** The exposition, as served on /metrics. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter(name: LiveMetricName, extra: readonly string[] = []) {
    return new Counter({
      name,
      help: HELP[name],
      labelNames: [...GROUP_LABELS, ...extra],
      registers: [this.registry],
    });
  }

  private gauge(name: LiveMetricName, labelNames: readonly string[]) {
    return new Gauge({ name, help: HELP[name], labelNames, registers: [this.registry] });
  }

  private histogram(name: LiveMetricName, bucketsS: readonly number[]) {
    return new BucketedHistogram(this.registry, name, HELP[name], bucketsS);
  }
}

interface BucketState {
  readonly labels: LabelValues<GroupLabel>;
  /** Per bucket (the last one above every bound), not cumulative. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram in seconds whose observations arrive as HDR histograms in µs (see the top). */
class BucketedHistogram extends Histogram<GroupLabel> {
  private readonly boundsUs: number[];
  private readonly state = new Map<string, BucketState>();

  constructor(
    registry: Registry,
    private readonly metricName: string,
    private readonly metricHelp: string,
    private readonly bucketsS: readonly number[],
  ) {
    super({
      name: metricName,
      help: metricHelp,
      labelNames: GROUP_LABELS,
      buckets: [...bucketsS],
      registers: [registry],
    });
    this.boundsUs = bucketsS.map((s) => Math.round(s * 1_000_000));
  }

  /** Adds every value of `h` (µs) under `labels`. */
  add(labels: LabelValues<GroupLabel>, h: DurationHistogram): void {
    const total = h.hdr.totalCount;
    if (total === 0) return;
    const key = GROUP_LABELS.map((l) => labels[l]).join('\u0000');
    let s = this.state.get(key);
    if (s === undefined) {
      s = { labels, counts: new Array<number>(this.boundsUs.length + 1).fill(0), sum: 0, count: 0 };
      this.state.set(key, s);
    }
    const counts = countsPerBucket(h, this.boundsUs);
    for (let i = 0; i < counts.length; i++) s.counts[i]! += counts[i]!;
    // The HDR mean stands for every value within its 0.1 % precision.
    s.sum += (h.hdr.mean * total) / 1_000_000;
    s.count += total;
  }

  override reset(): void {
    // prom-client's constructor calls reset() before this class's fields exist.
    (this.state as Map<string, BucketState> | undefined)?.clear();
  }

  override get(): Promise<MetricObjectWithValues<MetricValueWithName<GroupLabel>>> {
    return Promise.resolve(this.exposed());
  }

  /** What prom-client's registry asks a histogram for when it writes the text format. */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<GroupLabel>>> {
    return Promise.resolve(this.exposed());
  }

  private exposed(): MetricObjectWithValues<MetricValueWithName<GroupLabel>> {
    const name = this.metricName;
    const values: MetricValueWithName<GroupLabel>[] = [];
    for (const s of this.state.values()) {
      let cumulative = 0;
      const le = [...this.bucketsS.map(String), '+Inf'];
      for (let i = 0; i < s.counts.length; i++) {
        cumulative += s.counts[i]!;
        values.push({
          metricName: `${name}_bucket`,
          labels: { ...s.labels, le: le[i]! } as LabelValues<GroupLabel>,
          value: cumulative,
        });
      }
      values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
    }
    return {
      name,
      help: this.metricHelp,
      // The typings name an enum; the registry writes the string prom-client's histograms carry.
      type: 'histogram' as unknown as MetricType,
      values,
      aggregator: 'sum',
      collect: () => {},
    };
  }
}
