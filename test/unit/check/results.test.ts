import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuns } from '../../../src/check/index.js';
import { result } from './support.js';

describe('loadRuns', () => {
  it('reads a result', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'apfbench-runs-')), 'result.json');
    await writeFile(file, JSON.stringify(result()));
    expect((await loadRuns(file)).map((r) => r.result.status)).toEqual(['completed']);
  });

  it.each([
    [{ scenario: 'x' }, 'scenario: must be a mapping'],
    [{ status: 'done' }, 'status: must be one of completed, aborted, failed'],
    [
      { generator: {} },
      'generator.saturated: is required; generator.reasons: is required; generator.eventLoopDelayMs: is required; generator.utilization: is required; generator.scheduleLagMs: is required',
    ],
  ])('refuses a result with %j, naming the fields', async (change, fields) => {
    const file = join(await mkdtemp(join(tmpdir(), 'apfbench-runs-')), 'result.json');
    await writeFile(file, JSON.stringify({ ...result(), ...change }));
    await expect(loadRuns(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_RESULT',
      kind: 'invalid-input',
      message: `${file}: not an apfbench result: ${fields}`,
    });
  });
});
