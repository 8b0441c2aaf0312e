import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inResultOrder, type RunResult } from '../../../src/result/result.js';

// Written by the coordinator before its measurements added their sections last.
const RECORDED = 'test/fixtures/comparisons/listers/runs/01-k8s-defaults/result.json';

describe('inResultOrder', () => {
  it('puts sections added last back where the schema (and every recorded result) has them', () => {
    const text = readFileSync(RECORDED, 'utf8');
    const { status, generator, server, fairness, ...rest } = JSON.parse(text) as RunResult;
    const addedLast: RunResult = {
      ...rest,
      ...(fairness === undefined ? {} : { fairness }),
      ...(server === undefined ? {} : { server }),
      generator,
      status: 'degraded',
      reason: 'unreachable',
    };
    const ordered = inResultOrder(addedLast);
    expect(Object.keys(ordered)).toEqual([
      'schemaVersion',
      'tool',
      'runId',
      'scenario',
      'target',
      'startedAt',
      'endedAt',
      'status',
      'reason',
      'workers',
      'actors',
      'timeline',
      'generator',
      'cleanup',
      'profile',
      'server',
      'fairness',
    ]);
    const { reason: _reason, ...asRecorded } = { ...ordered, status };
    // The same text as the recorded file's (once formatted alike): every key where it was.
    expect(JSON.stringify(asRecorded)).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('keeps a field the schema does not know, at the end', () => {
    const result = JSON.parse(readFileSync(RECORDED, 'utf8')) as RunResult;
    const extra = { extra: 1, ...result } as RunResult;
    expect(Object.keys(inResultOrder(extra)).at(-1)).toBe('extra');
  });
});
