import { describe, expect, it } from 'vitest';
import { ApfbenchError } from '../../../src/errors.js';
import {
  withApplier,
  type AppliedProfile,
  type ProfileApplier,
} from '../../../src/profile/index.js';

const applied: AppliedProfile = {
  snapshot: {
    version: 1,
    server: 'https://127.0.0.1:1',
    profiles: ['p'],
    takenAt: '',
    objects: [],
  },
  actions: [],
  serverConcurrency: [],
};

/** An applier that records its calls; `restore` fails with `restoreFails` when given. */
function fakeApplier(restoreFails?: Error): ProfileApplier & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'p',
    calls,
    apply: () => {
      calls.push('apply');
      return Promise.resolve(applied);
    },
    restore: (a) => {
      calls.push(a === applied ? 'restore' : 'restore something else');
      return restoreFails === undefined ? Promise.resolve() : Promise.reject(restoreFails);
    },
  };
}

describe('withApplier', () => {
  it('applies, runs, restores and gives back what the run returned', async () => {
    const applier = fakeApplier();
    const outcome = await withApplier(applier, () => {
      applier.calls.push('run');
      return Promise.resolve('result');
    });
    expect(outcome).toEqual({ value: 'result' });
    expect(applier.calls).toEqual(['apply', 'run', 'restore']);
  });

  it('keeps a finished run’s value when restoring fails, and says why and what to do', async () => {
    const applier = fakeApplier(new Error('HTTP 500 from the server'));
    const phases: string[] = [];
    const outcome = await withApplier(applier, () => Promise.resolve('result'), {
      onPhase: (line) => phases.push(line),
      snapshotFile: 'out/profile-snapshot.json',
    });
    expect(outcome.value).toBe('result');
    expect(outcome.restoreError).toBe(
      'restoring the flowcontrol objects profile p changed failed (HTTP 500 from the server); they stay changed until `apfbench profile restore --snapshot out/profile-snapshot.json` puts them back',
    );
    expect(phases).toEqual(['restoring the flowcontrol objects profile p changed']);
  });

  it('throws the run’s own error, not the restore failure, when both fail', async () => {
    const applier = fakeApplier(new Error('HTTP 500 from the server'));
    const error = await withApplier(applier, () =>
      Promise.reject(
        new ApfbenchError('APFBENCH_FIXTURE_FAILED', 'creating fixture x failed', {
          hint: 'is the API server reachable?',
        }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApfbenchError);
    expect(error).toMatchObject({
      code: 'APFBENCH_FIXTURE_FAILED',
      kind: 'environment',
      hint: 'is the API server reachable?',
    });
    expect((error as Error).message).toMatch(
      /^creating fixture x failed; restoring the flowcontrol objects profile p changed failed \(HTTP 500 from the server\)/,
    );
  });

  it('restores and throws the run’s error as it is when restoring works', async () => {
    const applier = fakeApplier();
    const broke = new Error('the run broke');
    await expect(withApplier(applier, () => Promise.reject(broke))).rejects.toBe(broke);
    expect(applier.calls).toEqual(['apply', 'restore']);
  });
});
