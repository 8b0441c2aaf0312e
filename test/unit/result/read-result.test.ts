import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeletSections } from '../../../src/metrics/heartbeats.js';
import {
  parseComparison,
  parseRunResult,
  readRunResult,
  type RunResult,
} from '../../../src/result/result.js';

const RESULTS = [
  'test/fixtures/results/tenant-smoke.json',
  'test/fixtures/comparisons/listers/runs/01-k8s-defaults/result.json',
  'test/fixtures/comparisons/listers/runs/02-tight/result.json',
  'test/fixtures/comparisons/listers/runs/03-tight/result.json',
  'test/fixtures/comparisons/listers/runs/04-k8s-defaults/result.json',
  'examples/ci/baseline.json',
];
const COMPARISON = 'test/fixtures/comparisons/listers/comparison.json';

const documentOf = (source: string) => {
  const text = readFileSync(source, 'utf8');
  return { source, text, value: JSON.parse(text) as unknown };
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The tenant-smoke fixture changed by `change`, written pretty-printed; its path and text. */
async function written(change: (r: Json) => void): Promise<{ file: string; lines: string[] }> {
  const result = structuredClone(documentOf(RESULTS[0]!).value) as Json;
  change(result);
  const file = join(await mkdtemp(join(tmpdir(), 'apfbench-result-')), 'result.json');
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(file, text);
  return { file, lines: text.split('\n') };
}

/** `file:line:col ` of the last line holding `at`, pointing at the value after its key. */
function located(file: string, lines: string[], at: string): string {
  const line = lines.findLastIndex((l) => l.includes(at)) + 1;
  const column = lines[line - 1]!.indexOf(at) + at.indexOf(':') + 3;
  return `${file}:${line}:${column}`;
}

describe('parseRunResult', () => {
  it.each(RESULTS)('reads every field of the recorded %s', (file) => {
    const doc = documentOf(file);
    expect(parseRunResult(doc)).toEqual(doc.value);
  });

  it('reads the recorded comparison whole', () => {
    const doc = documentOf(COMPARISON);
    expect(parseComparison(doc)).toEqual(doc.value);
  });

  it('names the file, line and field of a value of the wrong type', async () => {
    const { file, lines } = await written((r) => (r.actors.tenant.requests.total = 'many'));
    await expect(readRunResult(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_RESULT',
      kind: 'invalid-input',
      message: `invalid result (1 problem):\n${located(file, lines, '"total": "many"')} actors.tenant.requests.total: must be a number (got "many")`,
    });
  });

  it("checks a group's sections by its actor type", async () => {
    const { file } = await written((r) => (r.actors.tenant.type = 'kubelet'));
    const err = (await readRunResult(file).catch((e: unknown) => e)) as Error;
    expect(err.message.split('\n').slice(1)).toEqual([
      expect.stringMatching(/:\d+:\d+ actors\.tenant\.heartbeats: is required$/),
      expect.stringMatching(/:\d+:\d+ actors\.tenant\.nodes: is required$/),
    ]);
  });

  it('refuses an actor type it does not know', async () => {
    const { file, lines } = await written((r) => (r.actors.tenant.type = 'robot'));
    const err = (await readRunResult(file).catch((e: unknown) => e)) as Error;
    expect(err.message.split('\n')[1]).toMatch(
      new RegExp(`^${located(file, lines, '"type": "robot"')} actors\\.tenant\\.type: `),
    );
  });

  it('refuses a schemaVersion it does not read, before looking at the rest', async () => {
    const { file } = await written((r) => {
      r.schemaVersion = 2;
      r.actors = [];
    });
    await expect(readRunResult(file)).rejects.toMatchObject({
      code: 'APFBENCH_RESULT_SCHEMA_VERSION',
      kind: 'invalid-input',
      message: `${file}: result schemaVersion 2 is not one this apfbench reads (1)`,
    });
  });

  it('tolerates fields it does not know, and optional fields a result lacks', async () => {
    const { file } = await written((r) => {
      r.futureSection = { x: 1 };
      r.actors.tenant.requests.futureFigure = 3;
    });
    const result: RunResult = await readRunResult(file);
    expect(result).not.toHaveProperty('futureSection');
    expect(result.actors.tenant?.requests.total).toBe(1000);
    expect(result.fairness).toBeUndefined();
  });

  it('types the sections of a group by its type', () => {
    const doc = documentOf(RESULTS[0]!);
    const base = doc.value as Json;
    const kubelet = {
      type: 'kubelet',
      count: 3,
      ...kubeletSections(
        { counters: { 'heartbeats.late': 4 }, measures: {} },
        { watchPods: false },
      ),
      requests: base.actors.tenant.requests,
    };
    const result = parseRunResult({ source: 'r', value: { ...base, actors: { kubelet } } });
    const group = result.actors.kubelet!;
    expect(group.type === 'kubelet' ? group.heartbeats.late : undefined).toBe(4);
  });

  it('names the fields of a result embedded in another document, without a line', () => {
    expect(() => parseRunResult({ source: 'runs.json[1]', value: { schemaVersion: 1 } })).toThrow(
      /^invalid result \(\d+ problems\):\nruns\.json\[1\] tool: is required\n/,
    );
  });
});

describe('parseComparison', () => {
  it('refuses a comparison schemaVersion it does not read', () => {
    expect(() => parseComparison({ source: 'c.json', value: { schemaVersion: 3 } })).toThrow(
      'c.json: comparison schemaVersion 3 is not one this apfbench reads (1)',
    );
  });

  it('names the run of a comparison that has the wrong shape', () => {
    const doc = documentOf(COMPARISON);
    const value = structuredClone(doc.value) as Json;
    value.runs[1].result = 7;
    const text = JSON.stringify(value, null, 2);
    expect(() => parseComparison({ source: doc.source, text, value })).toThrow(
      /\n.+comparison\.json:\d+:\d+ runs\[1\]\.result: must be a string \(got 7\)$/,
    );
  });
});
