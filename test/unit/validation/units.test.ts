import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseDuration,
  parseRate,
  parseSize,
} from '../../../src/validation/units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['0s', 0],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each(['', '20', '20sec', '1.5s', '-5s', 's', '5 s', '1d', '5S'])('rejects %j', (text) => {
    expect(parseDuration(text)).toEqual({
      ok: false,
      message: 'must be a duration such as 500ms, 30s, 2m, 1h or 1m30s',
    });
  });

  it.each([0, 500, 90_000, 3_723_004])('formatDuration(%d) parses back', (ms) => {
    expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, value: ms });
  });
});

describe('parseRate', () => {
  it.each([
    ['200/s', 200],
    ['12/m', 0.2],
    ['3/h', 3 / 3600],
    ['0.5/s', 0.5],
    ['0/s', 0],
    ['-5/s', -5],
    ['50', 50],
    [50, 50],
    [2.5, 2.5],
    [-5, -5],
  ] as const)('%j → %d per second', (input, perSecond) => {
    expect(parseRate(input)).toEqual({ ok: true, value: perSecond });
  });

  it.each(['', '200/x', '200 /s', '/s', '200/sec', 'fast', Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects %j',
    (input) => {
      expect(parseRate(input)).toEqual({
        ok: false,
        message: 'must be a rate such as 200/s, 12/m, 3/h, or a number meaning per second',
      });
    },
  );
});

describe('parseSize', () => {
  it.each([
    [512, 512],
    ['512', 512],
    [0, 0],
    ['4Ki', 4096],
    ['1Mi', 1_048_576],
    ['1Gi', 1_073_741_824],
    ['10k', 10_000],
    ['2M', 2_000_000],
    ['1G', 1_000_000_000],
  ] as const)('%j → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ ok: true, value: bytes });
  });

  it.each(['', '4KB', '4ki', '4K', '1.5Ki', '-1', 1.5, -1, '4 Ki', 'big'])(
    'rejects %j',
    (input) => {
      expect(parseSize(input)).toEqual({
        ok: false,
        message: 'must be a size in bytes such as 512, 4Ki, 1Mi, 10k or 2M',
      });
    },
  );
});
