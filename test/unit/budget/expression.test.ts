import { describe, expect, it } from 'vitest';
import { holds, parseExpression, parsePercent } from '../../../src/budget/expression.js';

describe('parseExpression', () => {
  it.each([
    ['tenant.latencyMs.p99 < 500', '<', 500],
    ['tenant.latencyMs.p99<=500.5', '<=', 500.5],
    ['controllers.conflicts.rate < 5%', '<', 0.05],
    ['*.requests.byCode.429 == 0', '==', 0],
    ['tenant.total >= 1e3', '>=', 1000],
    ['generator.saturated != true', '!=', true],
    ['generator.saturated == false', '==', false],
  ])('%s', (text, op, value) => {
    const parsed = parseExpression(text);
    expect(parsed.ok && { op: parsed.value.op, value: parsed.value.value }).toEqual({ op, value });
  });

  it.each([
    [
      'tenant.latencyMs.p99',
      'expected an operator (<= >= == != < >) after "tenant.latencyMs.p99", found nothing',
    ],
    [
      'tenant.latencyMs.p99 = 5',
      'expected an operator (<= >= == != < >) after "tenant.latencyMs.p99", found "= 5"',
    ],
    [
      'tenant.latencyMs.p99 < fast',
      'expected a number, a percentage or true/false after "<", found "fast"',
    ],
    [
      'tenant.latencyMs.p99 < 5ms',
      'expected a number, a percentage or true/false after "<", found "5ms"',
    ],
    ['generator.saturated < true', 'true and false can only be compared with == or != (got <)'],
  ])('refuses %s', (text, message) => {
    expect(parseExpression(text)).toEqual({ ok: false, message });
  });
});

describe('holds', () => {
  it.each([
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [3, '>', 2, true],
    [0, '==', 0, true],
    [1, '!=', 0, true],
    [false, '==', false, true],
    [true, '==', 1, false],
    [null, '<', 1, false],
  ] as const)('%s %s %s is %s', (observed, op, limit, expected) => {
    expect(holds(observed, op, limit)).toBe(expected);
  });
});

it('parsePercent', () => {
  expect(parsePercent('15%')).toBe(0.15);
  expect(parsePercent('2.5 %')).toBe(0.025);
  expect(parsePercent('15')).toBeUndefined();
  expect(parsePercent('-5%')).toBeUndefined();
});
