import { describe, expect, it } from 'vitest';
import { statusExit } from '../../../src/cli/run.js';
import { exitCodeFor } from '../../../src/errors.js';

const exitOf = (status: 'completed' | 'degraded' | 'aborted' | 'failed', allowErrors: boolean) => {
  try {
    return statusExit({ status, reason: 'why' }, 'out/result.json', allowErrors) ?? 0;
  } catch (err) {
    return { code: exitCodeFor(err), message: (err as Error).message };
  }
};

describe('statusExit: what a finished run exits with', () => {
  it('goes on for a completed run, with or without --allow-errors', () => {
    expect(exitOf('completed', false)).toBe(0);
    expect(exitOf('completed', true)).toBe(0);
  });

  it('exits 1 for a degraded run (the server did not answer), naming the result', () => {
    expect(exitOf('degraded', false)).toEqual({
      code: 1,
      message: 'run degraded: why (result in out/result.json)',
    });
  });

  it('accepts a degraded run with --allow-errors', () => {
    expect(exitOf('degraded', true)).toBe(0);
  });

  it('exits 130 when aborted and 1 when failed, whatever --allow-errors says', () => {
    expect(exitOf('aborted', true)).toBe(130);
    expect(exitOf('failed', true)).toEqual({
      code: 1,
      message: 'run failed: why (partial result in out/result.json)',
    });
  });
});
