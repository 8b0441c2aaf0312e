import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApfbenchError } from '../../../src/errors.js';
import {
  buildComparisonReport,
  figureUnit,
  formatRelative,
  formatSigned,
} from '../../../src/report/comparison.js';
import { parseComparison, parseRunResult } from '../../../src/result/result.js';
import { GENERATED_LINE_PREFIX, loadChartJsSource, renderHtml } from '../../../src/report/html.js';
import { readReportInput } from '../../../src/report/index.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { fixturePath } from './fixture.js';

/** A real `apfbench compare listers.yaml --profile k8s-defaults --profile tight --repeat 2`. */
const comparisonFile = fileURLToPath(
  new URL('../../fixtures/comparisons/listers/comparison.json', import.meta.url),
);
const model = await readReportInput(comparisonFile);

describe('the report model of a comparison', () => {
  it('labels each run by profile and repeat, in the order they ran', () => {
    expect(model.title).toBe('listers: k8s-defaults vs tight');
    expect(model.runs.map((r) => [r.label, r.profile?.name])).toEqual([
      ['k8s-defaults #1', 'k8s-defaults'],
      ['tight #1', 'tight'],
      ['tight #2', 'tight'],
      ['k8s-defaults #2', 'k8s-defaults'],
    ]);
    expect(model.groups.map((g) => `${g.run}/${g.group}`)).toEqual([
      'k8s-defaults #1/lister',
      'k8s-defaults #1/reader',
      'tight #1/lister',
      'tight #1/reader',
      'tight #2/lister',
      'tight #2/reader',
      'k8s-defaults #2/lister',
      'k8s-defaults #2/reader',
    ]);
    expect(model.fairness.map((f) => [f.run, f.priorityLevel])).toHaveLength(4);
  });

  it('sets each profile against the baseline in its verdicts, with the interval over repeats', () => {
    expect(model.verdicts.map((v) => [v.level, v.topic])).toEqual([
      ['bad', 'throttling'],
      ['ok', 'conflicts'],
      ['warn', 'dropped'],
      ['warn', 'fairness'],
      ['bad', 'generator'],
    ]);
    expect(model.verdicts[0]!.text).toBe(
      '429s (mean of 2 runs each): tight: 558 429s (lister: 532, reader: 25.5) vs 0 under k8s-defaults; 95% interval of the difference: tight +558 [−148, +1,260], within noise.',
    );
    expect(model.verdicts[1]!.text).toBe('No 409 conflicts under any profile.');
    expect(model.verdicts[3]!.text).toBe(
      "Least fair priority level (Jain's index; below 0.9 is unfair): tight: J = 0.87 (global-default) vs J = 1.00 (global-default) under k8s-defaults.",
    );
  });

  it('has a differences row per figure that differs, with the baseline, means and interval', () => {
    const c = model.comparison!;
    expect(c.baseline).toBe('k8s-defaults');
    expect(c.repeat).toBe(2);
    expect(c.profiles.map((p) => [p.name, p.apiserverFlags])).toEqual([
      ['k8s-defaults', []],
      ['tight', ['--max-mutating-requests-inflight=3', '--max-requests-inflight=6']],
    ]);
    expect(c.serverFlags).toEqual([]);
    const figures = c.differences.map((d) => d.figure);
    expect(figures).toContain('all.429s');
    expect(figures).not.toContain('lister.dropped'); // 0 in every run
    const lister429 = c.differences.find((d) => d.figure === 'lister.429s')!;
    expect(lister429.unit).toBe('count');
    expect(lister429.baseline?.mean).toBe(0);
    expect(lister429.others).toHaveLength(1);
    const [tight] = lister429.others;
    expect(tight!.profile).toBe('tight');
    expect(tight!.sample?.mean).toBe(532);
    expect(tight!.difference?.significant).toBe(true);
    expect(tight!.difference?.ci95?.[0]).toBeGreaterThan(0);
  });

  it('puts the profiles on the same axes: spectra overlaid, time series in panels with shared maxima', () => {
    const ids = model.charts.map((c) => c.id);
    expect(ids.slice(0, 2)).toEqual(['latency-spectrum-lister', 'latency-spectrum-reader']);
    const spectrum = model.charts[0]!;
    // Colour by profile, shade by repeat.
    expect(spectrum.series.map((s) => [s.label, s.colour, s.shade, s.dashed])).toEqual([
      ['k8s-defaults #1', 0, 0, false],
      ['tight #1', 1, 0, false],
      ['tight #2', 1, 1, false],
      ['k8s-defaults #2', 0, 1, false],
    ]);
    const throughput = model.charts.filter((c) => c.panel === 'throughput');
    expect(throughput.map((c) => c.id)).toEqual([
      'throughput-k8s-defaults-1',
      'throughput-tight-1',
      'throughput-tight-2',
      'throughput-k8s-defaults-2',
    ]);
    const maxima = new Set(throughput.map((c) => JSON.stringify(c.suggestedMax)));
    expect(maxima.size).toBe(1);
    const highest = Math.max(
      ...throughput.flatMap((c) => c.series.flatMap((s) => s.points.map((p) => p.y))),
    );
    expect(throughput[0]!.suggestedMax?.y).toBe(highest);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('renders the same HTML apart from the generation line, with the differences before the runs', async () => {
    const chartJs = await loadChartJsSource();
    const again = await readReportInput(comparisonFile);
    const a = renderHtml(model, { generatedAt: new Date('2026-01-01T00:00:00Z'), chartJs });
    const b = renderHtml(again, { generatedAt: new Date('2026-06-30T00:00:00Z'), chartJs });
    const strip = (html: string) =>
      html
        .split('\n')
        .filter((line) => !line.startsWith(GENERATED_LINE_PREFIX))
        .join('\n');
    expect(a).not.toBe(b);
    expect(strip(a)).toBe(strip(b));
    expect(a.indexOf('id="verdicts"')).toBeLessThan(a.indexOf('id="differences"'));
    expect(a.indexOf('id="differences"')).toBeLessThan(a.indexOf('id="run"'));
    expect(a.match(/<canvas /g)).toHaveLength(model.charts.length);
    expect(a).toContain('--max-mutating-requests-inflight=3 --max-requests-inflight=6');
  });

  it('summarises the comparison in Markdown: verdicts, differences, then the groups per run', () => {
    const md = renderMarkdown(model);
    expect(md).toBe(renderMarkdown(model));
    const lines = md.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '### apfbench: listers: k8s-defaults vs tight',
      '',
      'completed · 4 run(s), 2 per profile · baseline k8s-defaults · Kubernetes v1.37.2 (local) · apfbench 0.1.0',
      '',
    ]);
    expect(lines.slice(4, 6)).toEqual([
      'API-server flags · k8s-defaults: defaults · tight: `--max-mutating-requests-inflight=3 --max-requests-inflight=6`',
      '',
    ]);
    expect(lines[6]).toMatch(
      /^- ❌ 429s \(mean of 2 runs each\): tight: 558 429s \(lister: 532, reader: 25.5\) vs 0 under k8s-defaults/,
    );
    expect(lines).toContain('| figure | k8s-defaults (baseline) | tight | Δ | Δ% | 95% interval |');
    expect(lines).toContain('| lister.429s | 0 | 532 | +532 | from 0 | [+74.6, +989] \\* |');
    expect(lines).toContain(
      '| lister.ok/s | 200/s | 67/s | −133/s | −66.5% | [−247/s, −18.6/s] \\* |',
    );
    expect(lines).toContain(
      '| tight #1 | lister | 800 | 200/s | 836 ms | 3.01 s | 3.28 s | 3.28 s | 0 | 568 | 0 | 0 | 0 |',
    );
    expect(md.length).toBeLessThan(8000);
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Json;

/** The listers comparison and its results as plain JSON, to change before building a model. */
function listers(): { comparison: Json; results: Json[] } {
  const comparison = readJson(comparisonFile);
  const results = (comparison.runs as { result: string }[]).map((r) =>
    readJson(join(dirname(comparisonFile), r.result)),
  );
  return { comparison, results };
}
const build = ({ comparison, results }: { comparison: Json; results: Json[] }) =>
  buildComparisonReport(
    parseComparison({ source: comparisonFile, value: comparison }),
    results.map((value, i) => parseRunResult({ source: `results[${i}]`, value })),
  );
const tightRuns = (results: Json[]) => results.filter((r) => r.profile.name === 'tight');
const verdict = (m: ReturnType<typeof build>, topic: string) =>
  m.verdicts.find((v) => v.topic === topic);

describe('the flags of a comparison run with --apiserver-arg', () => {
  const input = listers();
  input.comparison.serverArgs = [
    'max-requests-inflight=20',
    'max-mutating-requests-inflight=10',
    'v=2',
  ];
  const m = build(input);

  it("merges the comparison's flags with each profile's, the profile's winning", () => {
    expect(m.comparison!.serverFlags).toEqual([
      '--max-requests-inflight=20',
      '--max-mutating-requests-inflight=10',
      '--v=2',
    ]);
    expect(m.comparison!.profiles.map((p) => [p.name, p.apiserverFlags])).toEqual([
      [
        'k8s-defaults',
        ['--max-requests-inflight=20', '--max-mutating-requests-inflight=10', '--v=2'],
      ],
      ['tight', ['--max-requests-inflight=6', '--max-mutating-requests-inflight=3', '--v=2']],
    ]);
  });

  it('shows them in the HTML profiles table and in summary.md, never "defaults"', async () => {
    const html = renderHtml(m, { generatedAt: new Date(0), chartJs: await loadChartJsSource() });
    const profiles = html.slice(html.indexOf('id="differences"'), html.indexOf('id="run"'));
    expect(profiles).toContain(
      '<td>k8s-defaults</td><td>profiles/k8s-defaults.yaml</td><td>--max-requests-inflight=20 --max-mutating-requests-inflight=10 --v=2</td>',
    );
    expect(profiles).toContain(
      '<td>--max-requests-inflight=6 --max-mutating-requests-inflight=3 --v=2</td>',
    );
    expect(profiles).toContain('started with --max-requests-inflight=20');
    expect(profiles).not.toContain('<td>defaults</td>');
    expect(renderMarkdown(m).split('\n')).toContain(
      'API-server flags · k8s-defaults: `--max-requests-inflight=20 --max-mutating-requests-inflight=10 --v=2` · tight: `--max-requests-inflight=6 --max-mutating-requests-inflight=3 --v=2`',
    );
  });
});

describe('a comparison of audit policies', () => {
  it("names each profile's audit policy among its flags, in HTML and summary.md", () => {
    const input = listers();
    input.comparison.profiles[0].auditPolicy = 'None';
    input.comparison.profiles[1].auditPolicy = 'RequestResponse';
    const m = build(input);
    expect(m.comparison!.profiles.map((p) => p.apiserverFlags.at(-1))).toEqual([
      '--audit-policy=None',
      '--audit-policy=RequestResponse',
    ]);
    expect(renderMarkdown(m)).toContain('k8s-defaults: `--audit-policy=None`');
  });
});

describe('comparison verdicts name the groups', () => {
  /** tight's 429s all the lister's: the reader's taken out. */
  const listerOnly = () => {
    const input = listers();
    for (const r of tightRuns(input.results)) {
      const reader = r.actors.reader.requests;
      reader.byCode['200'] += reader.byCode['429'];
      delete reader.byCode['429'];
      reader.throttled = 0;
      reader.errors = 0;
    }
    return input;
  };

  it('says whose the 429s are, and fails them when no group is named noisy', () => {
    const v = verdict(build(listerOnly()), 'throttling')!;
    expect(v.level).toBe('bad');
    expect(v.text).toMatch(
      /^429s \(mean of 2 runs each\): tight: 532 429s \(all lister\) vs 0 under k8s-defaults;/,
    );
  });

  it('only warns when every 429 went to the group named noisy, and says so', () => {
    const input = listerOnly();
    for (const r of input.results) {
      r.fairness.latencyRatios = [{ victim: 'reader', noisy: 'lister', p50: 1, p99: 1 }];
    }
    const m = build(input);
    const v = verdict(m, 'throttling')!;
    expect(v.level).toBe('warn');
    expect(v.text).toContain('tight: 532 429s (all lister) vs 0 under k8s-defaults');
    expect(v.text).toMatch(
      /every 429 went to a group named noisy \(--noisy\): APF held back the noisy neighbour, not its victims\.$/,
    );
  });

  it('still fails 429s of a group not named noisy', () => {
    const input = listers();
    for (const r of input.results) {
      r.fairness.latencyRatios = [{ victim: 'reader', noisy: 'lister', p50: 1, p99: 1 }];
    }
    expect(verdict(build(input), 'throttling')?.level).toBe('bad');
  });
});

describe('requests abandoned when the drain ended', () => {
  const input = listers();
  const lister = tightRuns(input.results)[0]!.actors.lister.requests;
  lister.byCode['error:ERR_POOL_DESTROYED'] = 30;
  lister.byCode['error:ERR_POOL_CLOSED'] = 10;
  lister.errors += 40;
  const m = build(input);

  it('are a line of their own, with their group, and not errors', () => {
    expect(verdict(m, 'errors')).toBeUndefined();
    expect(verdict(m, 'abandoned')).toEqual({
      level: 'warn',
      topic: 'abandoned',
      text: 'Requests still in flight when the drain ended, abandoned (mean of 2 runs each): tight: 20 abandoned (all lister) vs 0 under k8s-defaults; not counted as errors.',
    });
  });

  it('have a column of their own in both tables, and summary.md other errors leave them out, as 429s', () => {
    const row = m.groups.find((g) => g.run === 'tight #1' && g.group === 'lister')!;
    expect([row.abandoned, row.otherErrors]).toEqual([40, 0]);
    expect(renderMarkdown(m).split('\n')).toContain(
      '| tight #1 | lister | 800 | 200/s | 836 ms | 3.01 s | 3.28 s | 3.28 s | 0 | 568 | 0 | 0 | 40 |',
    );
  });
});

describe('comparison lines on late sends and cross-checks', () => {
  const input = listers();
  for (const r of input.results) r.generator = { ...r.generator, saturated: false, reasons: [] };
  const tight = tightRuns(input.results)[0]!;
  tight.generator = {
    ...tight.generator,
    reasons: ['worker 0: schedule lag p99 40 ms > 10 ms: sends went out late'],
    lagCause: 'host',
    lagEvidence: { intervals: 6, wallMs: 6000, cpuMs: 80, runDelayMs: 1300, serverStalledMs: 0 },
  };
  tight.server.crossCheck = {
    ...tight.server.crossCheck,
    serverRejected: tight.server.crossCheck.client429 + 20,
    agree: false,
    clientUnanswered: 20,
    difference: { abandoned: 20, inFlightAtEnd: 0, other: 0 },
    explained: true,
  };
  const m = build(input);

  it('say that the host was busy, not the generator, in which run', () => {
    expect(verdict(m, 'generator')).toEqual({
      level: 'warn',
      topic: 'generator',
      text: 'The host was busy in 1 of 4 run(s), not the load generator (tight #1: host busy: the generator waited 1.3 s for CPU that other processes had (it ran 80 ms) in the 6 s it lagged): their latencies include that wait.',
    });
  });

  it('explain the run whose 429s differ from the server rejections, and pass it', () => {
    expect(verdict(m, 'cross-check')).toEqual({
      level: 'ok',
      topic: 'cross-check',
      text: "Cross-check with the server: tight #1: the server rejected 633 requests in apfbench's flow schemas and apfbench received 613 429s; of the 20 more rejections on the server: 20 abandoned by apfbench before the server's 429 came (20 of its requests got no answer: the drain ran out or the client timed out).",
    });
    expect(m.crossChecks.map((r) => r.run)).toEqual(['tight #1']);
  });
});

describe('figure formatting', () => {
  it.each([
    ['lister.p99 ms', 'ms'],
    ['lister.ok/s', 'per-second'],
    ['fairness.global-default.jain', 'index'],
    ['all.429s', 'count'],
    ['kubelet.heartbeats.late', 'count'],
  ] as const)('%s reads as %s', (figure, unit) => {
    expect(figureUnit(figure)).toBe(unit);
  });

  it('signs differences and relative changes for people', () => {
    expect(formatSigned('ms', -5.68)).toBe('−5.68 ms');
    expect(formatSigned('count', 251)).toBe('+251');
    expect(formatRelative({ diff: 251, relative: null })).toBe('from 0');
    expect(formatRelative({ diff: -1, relative: -0.25 })).toBe('−25%');
  });
});

describe('readReportInput', () => {
  it('still reads a single result', async () => {
    const single = await readReportInput(fileURLToPath(fixturePath));
    expect(single.comparison).toBeUndefined();
    expect(single.runs).toHaveLength(1);
  });

  it('refuses a comparison of another schema version', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-cmp-'));
    const file = join(dir, 'comparison.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 2, runs: [], summary: {} }));
    await expect(readReportInput(file)).rejects.toSatisfy(
      (e) => e instanceof ApfbenchError && e.code === 'APFBENCH_COMPARISON_SCHEMA_VERSION',
    );
  });
});
