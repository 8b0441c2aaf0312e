import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveMetric } from '../../src/metrics/live-metrics.js';
import { parsePrometheusText } from '../../src/metrics/prometheus.js';
import type { RunResult } from '../../src/result/result.js';
import { runCli } from '../support/cli.js';

describe('apfbench run --metrics-addr', () => {
  it('exits 2 on an address that is not loopback, before it starts anything', async () => {
    const res = await runCli([
      'run',
      'scenarios/tenant-smoke.yaml',
      '--metrics-addr',
      '0.0.0.0:9464',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      'error [APFBENCH_REMOTE_METRICS]: refusing to serve metrics on 0.0.0.0: it is not a loopback address',
    );
    expect(res.stdout + res.stderr).not.toContain('starting');
  });

  it('with port 0 prints the address it bound, serves the run while it goes, and closes it at the end', async () => {
    const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-metrics-'));
    let url: string | undefined;
    const scraped: number[] = [];
    let polling: Promise<void> | undefined;
    const poll = async () => {
      while (url !== undefined) {
        try {
          const text = await (await fetch(url)).text();
          const family = parsePrometheusText(text).get(LiveMetric.responses);
          scraped.push(
            (family?.samples ?? [])
              .filter((s) => /^2\d\d$/.test(s.labels.code ?? ''))
              .reduce((n, s) => n + s.value, 0),
          );
        } catch {
          return; // closed: the run is over
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const res = await runCli(
      [
        'run',
        'scenarios/tenant-smoke.yaml',
        '--duration',
        '6s',
        '--metrics-addr',
        '127.0.0.1:0',
        '--quiet',
        '--no-report',
        '--out',
        out,
      ],
      {
        onOutput: (_stdout, stderr) => {
          const found = /live metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1];
          if (found !== undefined && url === undefined) {
            url = found;
            polling = poll();
          }
        },
      },
    );
    await polling;
    expect(res.code, res.stderr).toBe(0);
    expect(url).toBeDefined();
    // Scraped during the run, with 2xx counts that grew.
    expect(scraped.some((n) => n > 0)).toBe(true);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    const twoXX = Object.entries(result.actors.tenant!.requests.byCode)
      .filter(([code]) => code.startsWith('2'))
      .reduce((n, [, c]) => n + c, 0);
    expect(Math.max(...scraped)).toBeLessThanOrEqual(twoXX);
    // Closed once the run was over.
    await expect(fetch(url!)).rejects.toThrow();
  }, 180_000);
});
