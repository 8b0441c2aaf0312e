import { getEventListeners } from 'node:events';
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

  it('calls many listeners of one signal in the order they came, each once', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const unlisten = Array.from({ length: 5 }, (_, i) =>
      whenAborted(controller.signal, () => calls.push(i)),
    );
    unlisten[2]!();
    controller.abort();
    expect(calls).toEqual([0, 1, 3, 4]);
  });

  it('keeps one listener on the signal while any is registered, none once all are removed', () => {
    const controller = new AbortController();
    const unlisten = Array.from({ length: 3 }, () => whenAborted(controller.signal, () => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const u of unlisten) u();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // And a listener added after that is still called.
    const calls: string[] = [];
    whenAborted(controller.signal, () => calls.push('late'));
    controller.abort();
    expect(calls).toEqual(['late']);
  });

  it('still calls the others when one listener throws', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const thrown = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    whenAborted(controller.signal, () => {
      throw new Error('boom');
    });
    whenAborted(controller.signal, () => calls.push('second'));
    controller.abort();
    expect(calls).toEqual(['second']);
    expect(String(await thrown)).toMatch(/boom/);
  });
});
