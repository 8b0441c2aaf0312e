import { describe, expect, it, vi } from 'vitest';
import type { Progress } from '../../../src/engine/coordinator.js';
import {
  etaSeconds,
  formatCount,
  formatProgress,
  formatSeconds,
  progressMode,
  progressPrinter,
} from '../../../src/cli/progress.js';

const at = (elapsedMs: number, draining = false, inFlight = 0): Progress => ({
  elapsedMs,
  durationMs: 30_000,
  sent: elapsedMs / 10,
  completed: elapsedMs / 10 - inFlight,
  errors: 0,
  throttled: 0,
  dropped: 0,
  rps: 100,
  p99Ms: 1,
  groups: [],
  draining,
  inFlight,
});

/** A stream that keeps what is written, and a clock the test moves. */
function capture(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write: (s: string) => writes.push(s),
  } as unknown as NodeJS.WriteStream;
  const clock = { ms: 0 };
  return { writes, stream, clock, now: () => clock.ms };
}

describe('progressMode', () => {
  it.each([
    { quiet: true, tty: true, mode: 'quiet' },
    { quiet: true, tty: false, mode: 'quiet' },
    { quiet: false, tty: true, mode: 'bars' },
    { quiet: false, tty: false, mode: 'lines' },
  ] as const)('quiet $quiet, terminal $tty: $mode', ({ quiet, tty, mode }) => {
    expect(progressMode({ quiet, tty })).toBe(mode);
  });
});

describe('without a terminal', () => {
  it('prints a plain line every 5 s, says "draining" once past the deadline, and starts over for the next run', () => {
    const { writes, stream, clock, now } = capture(false);
    const printer = progressPrinter({ quiet: false, stream, now });
    for (const run of [1, 2]) {
      printer.onPhase(`run ${run}`);
      for (let ms = 1000; ms <= 30_000; ms += 1000) {
        clock.ms += 1000;
        printer.onProgress(at(ms));
      }
      // Ten more intervals while the requests in flight finish; elapsed stays at the deadline.
      for (let i = 10; i > 0; i--) {
        clock.ms += 1000;
        printer.onProgress(at(30_000, true, i));
      }
    }
    const first = writes.map((l) => l.split('  ')[0]!.trim());
    const oneRun = [
      ...['1s/30s', '6s/30s', '11s/30s', '16s/30s', '21s/30s', '26s/30s'],
      ...['draining, 10 in flight', 'draining, 5 in flight'],
    ];
    expect(first).toEqual(['run 1', ...oneRun, 'run 2', ...oneRun]);
    expect(writes.join('')).not.toContain('30s/30s');
  });

  it('prints a counted phase every 5 s with its ETA, and its end at once', () => {
    const { writes, stream, clock, now } = capture(false);
    const count = progressPrinter({ quiet: false, stream, now }).counter('creating fixtures');
    for (let done = 0; done <= 3000; done += 100) {
      count(done, 3000);
      clock.ms += 1000;
    }
    // The next run of a comparison creates its fixtures again: a new count, printed at once.
    count(1, 3000);
    expect(writes).toEqual([
      'creating fixtures 0/3000 (0%)\n',
      'creating fixtures 500/3000 (16%), ETA 25s\n',
      'creating fixtures 1000/3000 (33%), ETA 20s\n',
      'creating fixtures 1500/3000 (50%), ETA 15s\n',
      'creating fixtures 2000/3000 (66%), ETA 10s\n',
      'creating fixtures 2500/3000 (83%), ETA 5s\n',
      'creating fixtures 3000/3000 (100%) in 30s\n',
      'creating fixtures 1/3000 (0%)\n',
    ]);
  });
});

describe('with --quiet', () => {
  it('prints nothing, on a terminal or not', () => {
    for (const tty of [true, false]) {
      const { writes, stream } = capture(tty);
      const printer = progressPrinter({ quiet: true, stream });
      printer.onPhase('starting');
      printer.onProgress(at(1000));
      printer.counter('creating fixtures')(3000, 3000);
      printer.done();
      expect(writes).toEqual([]);
    }
  });
});

describe('on a terminal', () => {
  it('draws bars with counts, logs phases above them, and says when a counted phase ended', () => {
    // cli-progress redraws on a timer.
    vi.useFakeTimers();
    const { writes, stream, clock, now } = capture(true);
    const printer = progressPrinter({ quiet: false, stream, now });
    const step = (ms: number) => {
      clock.ms += ms;
      vi.advanceTimersByTime(ms);
    };
    try {
      const count = printer.counter('creating fixtures');
      count(0, 3000);
      step(1000);
      count(1500, 3000);
      step(1000);
      printer.onPhase('a phase');
      count(3000, 3000);
      printer.onProgress(at(12_000));
      step(1000);
      printer.onProgress(at(30_000, true, 7));
      step(1000);
      printer.done();
    } finally {
      vi.useRealTimers();
    }
    const out = writes.join('');
    expect(out).toContain('creating fixtures');
    expect(out).toContain('1500/3000');
    expect(out).toContain('a phase\n');
    expect(out).toContain('creating fixtures 3000/3000 (100%) in 2s\n');
    expect(out).toContain('12s/30s ETA 18s');
    expect(out).toContain('draining, 7 in flight');
  });
});

describe('formatting', () => {
  it('says "draining" with the requests in flight instead of the elapsed time after the deadline', () => {
    expect(formatProgress(at(12_000))).toMatch(/^12s\/30s {2}100 req\/s/);
    const draining = formatProgress(at(30_000, true, 12));
    expect(draining).toMatch(/^draining, 12 in flight {2}100 req\/s/);
    expect(draining).not.toContain('30s/30s');
  });

  it.each([
    [0, '0s'],
    [8.4, '8s'],
    [100, '1m40s'],
    [3599, '59m59s'],
    [7500, '2h05m'],
  ])('formatSeconds(%s) = %s', (s, text) => {
    expect(formatSeconds(s)).toBe(text);
  });

  it('estimates the time left from the rate so far, none before anything is done', () => {
    expect(etaSeconds(0, 3000, 5000)).toBeUndefined();
    expect(etaSeconds(1000, 3000, 5000)).toBe(10);
    expect(etaSeconds(3000, 3000, 5000)).toBe(0);
    expect(formatCount('runs', 1, 4, 60_000)).toBe('runs 1/4 (25%), ETA 3m00s');
    expect(formatCount('runs', 4, 4, 240_000)).toBe('runs 4/4 (100%) in 4m00s');
  });

  it("counts errors as the report's verdicts do: not a kubelet's expected Lease 404, 429s or 409s", () => {
    // A warm-up: every kubelet looks its Lease up before creating it (404, by design).
    const line = formatProgress({
      ...at(3000),
      errors: 230,
      throttled: 4,
      groups: [
        {
          group: 'kubelets',
          type: 'kubelet',
          byCode: { '200': 180, '201': 200, '404': 200 },
          byKey: { 'get leases 404': 200, 'create leases 201': 200, 'update leases 200': 180 },
        },
        {
          group: 'controllers',
          type: 'controller',
          byCode: { '200': 90, '409': 20 },
          byKey: { 'get configmaps 200': 90, 'update configmaps 409': 20 },
        },
        {
          group: 'tenant',
          type: 'tenant',
          byCode: { '200': 50, '404': 1, '429': 4, '500': 2, 'error:ECONNRESET': 3 },
          byKey: { 'get configmaps 404': 1 },
        },
      ],
    });
    expect(line).toContain('  errors 6  429s 4  ');
  });
});
