import { describe, expect, it } from 'vitest';
import { whenAborted } from '../../src/errors.js';

describe('whenAborted', () => {
  it('calls the listener at once for a signal that aborted before', () => {
    const controller = new AbortController();
    controller.abort();
    const calls: string[] = [];
    const unlisten = whenAborted(controller.signal, () => calls.push('stop'));
    expect(calls).toEqual(['stop']);
    unlisten();
    expect(calls).toEqual(['stop']);
  });

  it('calls the listener once when the signal aborts later', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    whenAborted(controller.signal, () => calls.push('stop'));
    expect(calls).toEqual([]);
    controller.abort();
    controller.abort();
    expect(calls).toEqual(['stop']);
  });

  it('does not call a listener that was removed', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const unlisten = whenAborted(controller.signal, () => calls.push('stop'));
    unlisten();
    controller.abort();
    expect(calls).toEqual([]);
  });
});
