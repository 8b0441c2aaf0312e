import { describe, expect, it } from 'vitest';
import { noResponseHint } from '../../../src/kube/unreachable.js';

describe('noResponseHint', () => {
  it.each([
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
  ])('points %s at the CA, not at the server being down', (code) => {
    expect(noResponseHint(code)).not.toMatch(/running/);
    expect(noResponseHint(code)).toMatch(/certificate-authority/);
  });
  it.each(['ECONNREFUSED', 'ETIMEDOUT', undefined])(
    'asks whether the server runs for %s',
    (code) => {
      expect(noResponseHint(code)).toBe('is the API server running and reachable?');
    },
  );
});
