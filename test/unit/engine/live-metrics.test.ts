import { describe, expect, it } from 'vitest';
import { packageCounter } from '../../../src/cluster/binaries.js';
import {
  liveMetricsMeasurement,
  parseMetricsAddress,
  serveLiveMetrics,
} from '../../../src/engine/live-metrics.js';
import { ApfbenchError } from '../../../src/errors.js';
import { LiveMetric, LiveMetrics } from '../../../src/metrics/live-metrics.js';
import { parsePrometheusText } from '../../../src/metrics/prometheus.js';

describe('parseMetricsAddress', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['localhost:9464', { host: 'localhost', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
  ])('takes the loopback address %s', (value, addr) => {
    expect(parseMetricsAddress(value, false)).toEqual(addr);
  });

  it.each(['0.0.0.0:9464', '10.1.2.3:9464', '[::]:9464', 'example.test:9464'])(
    'refuses %s unless --allow-remote',
    (value) => {
      const err = (() => {
        try {
          parseMetricsAddress(value, false);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ApfbenchError);
      expect((err as ApfbenchError).code).toBe('APFBENCH_REMOTE_METRICS');
      expect((err as ApfbenchError).hint).toContain('--allow-remote');
      expect(parseMetricsAddress(value, true).port).toBe(9464);
    },
  );

  it.each(['9464', '127.0.0.1', '127.0.0.1:65536', '127.0.0.1:x', ':9464'])(
    'refuses the malformed %s, naming the flag',
    (value) => {
      expect(() => parseMetricsAddress(value, true)).toThrow(/--metrics-addr must be HOST:PORT/);
    },
  );
});

describe('serveLiveMetrics', () => {
  it('serves the registry on /metrics at the port it bound, and says when the port is taken', async () => {
    const endpoint = await serveLiveMetrics({ host: '127.0.0.1', port: 0 });
    try {
      expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/metrics$/);
      const m = liveMetricsMeasurement(endpoint.live, {
        runId: 'r',
        scenario: 's',
      });
      await m.start?.({ admin: undefined as never });
      m.interval?.({
        type: 'interval',
        workerIndex: 0,
        snapshots: [],
        loop: undefined as never,
      });
      expect(await m.finish(undefined as never)).toEqual({});
      const res = await fetch(endpoint.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      const families = parsePrometheusText(await res.text());
      expect(families.get(LiveMetric.runInfo)?.samples[0]?.labels.run).toBe('r');
      expect((await fetch(new URL('/other', endpoint.url))).status).toBe(404);
      const port = Number(new URL(endpoint.url).port);
      await expect(
        serveLiveMetrics({ host: '127.0.0.1', port }, new LiveMetrics()),
      ).rejects.toMatchObject({ code: 'APFBENCH_METRICS_LISTEN' });
    } finally {
      await endpoint.close();
    }
  });
});

describe('packageCounter', () => {
  it("counts go build -v's package lines against go list's total, and ends at the total", () => {
    const seen: [number, number][] = [];
    const counter = packageCounter((done, total) => seen.push([done, total]));
    counter.total = 3;
    counter.report();
    expect(counter.isPackage('go: downloading k8s.io/api v0.37.2')).toBe(false);
    expect(counter.isPackage('internal/goarch')).toBe(true);
    expect(counter.isPackage('k8s.io/apiserver/pkg/util/flowcontrol')).toBe(true);
    counter.finish();
    expect(seen).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });
});
