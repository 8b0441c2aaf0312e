import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReportInput } from '../../../src/report/index.js';
import { loadFixture } from './fixture.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The fixture result, changed by `change`, written pretty-printed as result.json. */
async function writeResult(dir: string, change: (r: Json) => void): Promise<string> {
  const result = structuredClone(loadFixture()) as Json;
  change(result);
  const file = join(dir, 'result.json');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** `file:line:column path: message` of each problem, from the error's message. */
async function problemsOf(file: string): Promise<string[]> {
  const err = await readReportInput(file).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'APFBENCH_REPORT_INPUT_INVALID', kind: 'invalid-input' });
  return (err as Error).message.split('\n').slice(1);
}

describe('readReportInput on a result.json of the wrong shape', () => {
  // [what, change, the text of the offending field (on its last line holding it), `path: message`]
  it.each<[string, (r: Json) => void, string, string]>([
    ['actors as a list', (r) => (r.actors = [1]), '"actors": [', 'actors: must be a mapping'],
    [
      'a group without requests',
      (r) => delete r.actors.tenant.requests,
      '"tenant": {',
      'actors.tenant.requests: is required',
    ],
    [
      'timeline as a mapping',
      (r) => (r.timeline = {}),
      '"timeline": {}',
      'timeline: must be a list',
    ],
    [
      'a timeline row with a text p99',
      (r) => (r.timeline[0].p99Ms = 'x'),
      '"p99Ms": "x"',
      'timeline[0].p99Ms: must be a number (got "x")',
    ],
    [
      'counts that are null',
      (r) => (r.actors.tenant.requests.byCode = null),
      '"byCode": null',
      'actors.tenant.requests.byCode: must be a mapping (got null)',
    ],
    [
      'an unknown status',
      (r) => (r.status = 'done'),
      '"status": "done"',
      'status: must be one of completed, degraded, partial, aborted, failed (got "done")',
    ],
    [
      'a histogram that does not decode',
      (r) => (r.actors.tenant.requests.histograms.latency = 'xyz'),
      '"latency": "xyz"',
      'actors.tenant.requests.histograms.latency: must be an encoded HDR histogram (compressed base64) (got "xyz")',
    ],
    [
      'a scenario without its duration',
      (r) => delete r.scenario.spec.duration,
      '"spec": {',
      'scenario.spec.duration: is required',
    ],
  ])('refuses %s, naming the file, line and field', async (_what, change, at, expected) => {
    const file = await writeResult(await mkdtemp(join(tmpdir(), 'apfbench-result-')), change);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const line = lines.findLastIndex((l) => l.includes(at)) + 1;
    const column = lines[line - 1]!.indexOf(at) + at.indexOf(':') + 3;
    expect(await problemsOf(file)).toEqual([`${file}:${line}:${column} ${expected}`]);
  });

  it('names the result file of a comparison run that has the wrong shape', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-cmp-'));
    await mkdir(join(dir, 'runs'));
    const result = await writeResult(join(dir, 'runs'), (r) => (r.generator = {}));
    await writeFile(
      join(dir, 'comparison.json'),
      JSON.stringify({
        schemaVersion: 1,
        tool: { name: 'apfbench', version: '0.1.0' },
        scenario: 'tenant-smoke',
        createdAt: '2026-01-01T00:00:00.000Z',
        status: 'completed',
        repeat: 1,
        profiles: [{ name: 'a', file: 'a.yaml', apiserverArgs: [] }],
        order: ['a'],
        runs: [
          {
            index: 0,
            profile: 'a',
            repeat: 0,
            status: 'completed',
            result: 'runs/result.json',
            figures: {},
          },
        ],
        summary: { baseline: 'a', figures: [] },
      }),
    );
    const problems = await problemsOf(join(dir, 'comparison.json'));
    expect(problems).toContainEqual(
      expect.stringMatching(/:\d+:\d+ generator\.saturated: is required$/),
    );
    expect(problems.every((p) => p.startsWith(`${result}:`))).toBe(true);
  });
});
