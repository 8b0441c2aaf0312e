import { describe, expect, it } from 'vitest';
import {
  describeFailure,
  formatKeys,
  parsePath,
  resolvePath,
  shorthandOf,
} from '../../../src/budget/path.js';
import { result } from '../check/support.js';

const r = result();

function values(path: string): Record<string, unknown> {
  const parsed = parsePath(path);
  if (!parsed.ok) throw new Error(parsed.message);
  const resolved = resolvePath(r, parsed.value);
  if (!resolved.ok) throw new Error(describeFailure(parsed.value, resolved.failure, r));
  return Object.fromEntries(resolved.matches.map((m) => [formatKeys(m.keys), m.value]));
}

describe('parsePath', () => {
  it.each([
    ['tenant.latencyMs.p99', ['tenant', 'latencyMs', 'p99']],
    ['*.requests.byCode.429', ['*', 'requests', 'byCode', '429']],
    ['tenant.byCode.error:ECONNRESET', ['tenant', 'byCode', 'error:ECONNRESET']],
    ['tenant.byKey["get configmaps 200"]', ['tenant', 'byKey', 'get configmaps 200']],
    ['tenant.byKey["a \\"quoted\\" key"]', ['tenant', 'byKey', 'a "quoted" key']],
    ['  generator.saturated ', ['generator', 'saturated']],
  ])('%s', (text, segments) => {
    const parsed = parsePath(text);
    expect(
      parsed.ok && parsed.value.segments.map((s) => ('glob' in s ? s.glob : s.literal)),
    ).toEqual(segments);
  });

  it.each([
    ['tenant', '"tenant" names no field: write <group>.<field>, e.g. tenant.latencyMs.p99'],
    ['tenant..p99', 'expected a field name after "tenant.", found "."'],
    ['tenant.byKey["open', 'unterminated ["...] at column 13'],
    ['tenant.p99 x', 'unexpected "x" after the metric path "tenant.p99"'],
    ['$.x', 'expected a metric path such as tenant.latencyMs.p99, found "$"'],
  ])('refuses %s', (text, message) => {
    expect(parsePath(text)).toEqual({ ok: false, message });
  });
});

describe('resolvePath', () => {
  it('reads requests fields right after the group, and sections by name', () => {
    expect(values('tenant.latencyMs.p99')).toEqual({
      'actors.tenant.requests.latencyMs.p99': 45.375,
    });
    expect(values('tenant.requests.total')).toEqual({ 'actors.tenant.requests.total': 1000 });
    expect(values('kubelets.heartbeats.missed')).toEqual({
      'actors.kubelets.heartbeats.missed': 0,
    });
    expect(values('actors.tenant.count')).toEqual({ 'actors.tenant.count': 1 });
    expect(values('generator.saturated')).toEqual({ 'generator.saturated': false });
  });

  it('expands globs over groups and keys, dropping groups without the section', () => {
    expect(values('*.byCode.429')).toEqual({
      'actors.tenant.requests.byCode.429': 0,
      'actors.kubelets.requests.byCode.429': 3,
    });
    expect(values('*.heartbeats.late')).toEqual({ 'actors.kubelets.heartbeats.late': 2 });
    expect(values('tenant.byCode.2*')).toEqual({
      'actors.tenant.requests.byCode.200': 919,
      'actors.tenant.requests.byCode.201': 81,
    });
  });

  it('counts a key missing from a count map as 0', () => {
    expect(values('tenant.byCode.503')).toEqual({ 'actors.tenant.requests.byCode.503': 0 });
    expect(values('tenant.byCode.5*')).toEqual({ 'actors.tenant.requests.byCode.5*': 0 });
    expect(values('tenant.byFlowSchema.exempt')).toEqual({
      'actors.tenant.requests.byFlowSchema.exempt': 0,
    });
  });

  it.each([
    [
      'tenants.latencyMs.p99',
      'metric "tenants.latencyMs.p99" does not exist: no actor group "tenants" in the result (groups: tenant, kubelets); did you mean tenant.latencyMs.p99',
    ],
    [
      'tenant.latencyMs.p98',
      'metric "tenant.latencyMs.p98" does not exist: actors.tenant.requests.latencyMs has no field "p98" (fields: count, p50, p90, p99, p999, max, mean); did you mean tenant.latencyMs.p90 or tenant.latencyMs.p99',
    ],
    [
      'tenant.heartbeats.missed',
      'metric "tenant.heartbeats.missed" does not exist: actors.tenant has no field "heartbeats" (fields: type, count, requests); did you mean kubelets.heartbeats.missed?',
    ],
    [
      '*.conflicts.rate',
      'metric "*.conflicts.rate" does not exist: actors.tenant has no field "conflicts" (fields: type, count, requests)',
    ],
    [
      'tenant.latencyMs',
      'metric "tenant.latencyMs" does not exist: actors.tenant.requests.latencyMs is a mapping, not a number (name one of its fields: count, p50, p90, p99, p999, max, mean)',
    ],
  ])('explains why %s names nothing', (text, message) => {
    expect(() => values(text)).toThrow(message);
  });

  it('writes concrete locations back in shorthand', () => {
    expect(shorthandOf(['actors', 'tenant', 'requests', 'latencyMs', 'p99'])).toBe(
      'tenant.latencyMs.p99',
    );
    expect(shorthandOf(['actors', 'kubelets', 'heartbeats', 'missed'])).toBe(
      'kubelets.heartbeats.missed',
    );
    expect(shorthandOf(['actors', 'tenant', 'requests', 'byKey', 'get configmaps 200'])).toBe(
      'tenant.byKey["get configmaps 200"]',
    );
  });
});
