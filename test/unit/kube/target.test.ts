import { describe, expect, it } from 'vitest';
import { assertTargetAllowed, isLoopbackAddress } from '../../../src/kube/target.js';

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['192.168.1.10', false],
    ['8.8.8.8', false],
    ['::2', false],
    ['localhost', false], // a name, not an address: names are resolved first
  ])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('assertTargetAllowed', () => {
  it.each(['https://127.0.0.1:6443', 'https://[::1]:6443', 'https://localhost:6443'])(
    'allows %s',
    async (url) => {
      await expect(assertTargetAllowed(url, false)).resolves.toBeUndefined();
    },
  );

  it.each(['https://10.1.2.3:6443', 'https://192.168.0.5', 'https://[2001:db8::1]:443'])(
    'refuses %s without --allow-remote',
    async (url) => {
      await expect(assertTargetAllowed(url, false)).rejects.toMatchObject({
        code: 'APFBENCH_REMOTE_TARGET',
        hint: expect.stringContaining('--allow-remote'),
      });
    },
  );

  it('allows a remote target when the user says so', async () => {
    await expect(assertTargetAllowed('https://10.1.2.3:6443', true)).resolves.toBeUndefined();
  });
});
