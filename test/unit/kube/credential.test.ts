import { describe, expect, it } from 'vitest';
import {
  RefreshingToken,
  refreshDelayMs,
  type FetchedToken,
} from '../../../src/kube/credential.js';

describe('refreshDelayMs', () => {
  const now = 1_000_000;
  it.each([
    // [lifetime ms, replaced after ms]
    ['an EKS token (15 min): 3 min early', 900_000, 720_000],
    ['an hour: 12 min early', 3_600_000, 2_880_000],
    ['5 s: 2 s early (the least margin)', 5_000, 3_000],
    ['3 s: half-way, never sooner', 3_000, 1_500],
    ['already expired: now', -1_000, 0],
  ])('%s', (_name, lifetime, delay) => {
    expect(refreshDelayMs(now, now + lifetime, undefined)).toBe(delay);
  });

  it('re-reads a token without an expiry at its period, or never', () => {
    expect(refreshDelayMs(now, undefined, 60_000)).toBe(60_000);
    expect(refreshDelayMs(now, undefined, undefined)).toBeUndefined();
  });
});

/** A source of numbered tokens that each live `lifetimeMs`, counting its calls. */
function source(lifetimeMs: number) {
  const calls: number[] = [];
  const fetch = async (): Promise<FetchedToken> => {
    calls.push(Date.now());
    return { token: `t${calls.length}`, expiresAt: Date.now() + lifetimeMs };
  };
  return { calls, fetch };
}

/** The next token a listener hears. */
const nextToken = (credential: RefreshingToken) =>
  new Promise<string>((resolve) => {
    const stop = credential.onChange((token) => {
      stop();
      resolve(token);
    });
  });

describe('RefreshingToken', () => {
  it('fetches a new token before the current one expires, and tells its listeners', async () => {
    const { calls, fetch } = source(2_000);
    const credential = new RefreshingToken('exec', fetch, await fetch());
    const first = credential.expiresAt!;
    credential.start();
    try {
      expect(await nextToken(credential)).toBe('t2');
      expect(calls[1]).toBeLessThan(first);
      expect(await nextToken(credential)).toBe('t3');
      expect(credential.token).toBe('t3');
    } finally {
      credential.stop();
    }
  });

  it('fetches again after a 401 to the current token, once per token', async () => {
    const { calls, fetch } = source(3_600_000);
    const credential = new RefreshingToken('exec', fetch, await fetch());
    const heard = nextToken(credential);
    credential.rejected('t1');
    credential.rejected('t1');
    expect(await heard).toBe('t2');
    // A 401 to a token already replaced, or repeated, fetches nothing.
    credential.rejected('t1');
    credential.rejected('stale');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(2);
  });

  it('keeps the current token and tries again when a fetch fails', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let n = 0;
    const credential = new RefreshingToken(
      'exec',
      async () => {
        n++;
        if (fail) throw new Error('plugin failed');
        return { token: 'fresh' };
      },
      { token: 'old', expiresAt: Date.now() - 1 },
      { retryMs: 10 },
    );
    credential.onFailure((e) => errors.push(e));
    const heard = nextToken(credential);
    credential.start();
    await new Promise((r) => setTimeout(r, 5));
    expect(credential.token).toBe('old');
    fail = false;
    try {
      expect(await heard).toBe('fresh');
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(n).toBe(errors.length + 1);
    } finally {
      credential.stop();
    }
  });
});
