import { describe, expect, it } from 'vitest';
import { parseAuditLine } from '../../../src/audit/event.js';
import { auditLine, T0 } from '../../support/audit.js';

describe('parseAuditLine', () => {
  it('reads who, what, when and the answer of a ResponseComplete event', () => {
    const parsed = parseAuditLine(
      auditLine({
        user: 'system:node:n1',
        groups: ['system:nodes', 'system:authenticated'],
        verb: 'list',
        uri: '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=500&resourceVersion=0',
        objectRef: { resource: 'pods', apiVersion: 'v1' },
        code: 429,
        atMs: T0 + 1500,
      }),
    );
    expect(parsed).toEqual({
      kind: 'request',
      stage: 'ResponseComplete',
      request: {
        user: 'system:node:n1',
        groups: ['system:nodes', 'system:authenticated'],
        verb: 'list',
        receivedMs: T0 + 1500,
        durationMs: 2,
        code: 429,
        path: '/api/v1/pods',
        ref: { group: '', version: 'v1', resource: 'pods' },
        query: { fieldSelector: 'spec.nodeName=n1', limit: 500, resourceVersion: '0' },
      },
    });
  });

  it('tells a WATCH from a LIST by watch=true in the URI', () => {
    const parsed = parseAuditLine(
      auditLine({
        verb: 'list',
        uri: '/api/v1/namespaces/a/configmaps?watch=true&resourceVersion=12',
      }),
    );
    expect(parsed.kind === 'request' && parsed.request.verb).toBe('watch');
  });

  it('keeps only the size of a request object, never the object', () => {
    const requestObject = { kind: 'ConfigMap', data: { payload: 'x'.repeat(100) } };
    const parsed = parseAuditLine(auditLine({ verb: 'create', level: 'Request', requestObject }));
    expect(parsed.kind === 'request' && parsed.request.requestBytes).toBe(
      JSON.stringify(requestObject).length,
    );
    expect(JSON.stringify(parsed)).not.toContain('xxxx');
  });

  it('reads a non-resource URL without an objectRef', () => {
    const line = auditLine({ uri: '/healthz', objectRef: {} }).replace('"objectRef":{},', '');
    const parsed = parseAuditLine(line);
    expect(parsed.kind === 'request' && parsed.request.ref).toBeUndefined();
    expect(parsed.kind === 'request' && parsed.request.path).toBe('/healthz');
  });

  it.each([
    ['RequestReceived', 'RequestReceived'],
    ['ResponseStarted', 'ResponseStarted'],
  ])('skips a %s event', (stage, expected) => {
    expect(parseAuditLine(auditLine({ stage }))).toEqual({ kind: 'skipped', stage: expected });
  });

  it.each([
    ['a truncated line', auditLine().slice(0, 80), 'invalid-json'],
    ['JSON that is not an event', '{"hello":"world"}', 'not-an-event'],
    [
      'an unknown apiVersion',
      auditLine({ apiVersion: 'audit.k8s.io/v1beta1' }),
      'unknown-api-version',
    ],
    ['an event without user', auditLine().replace(/"user":\{[^}]*\},/, ''), 'no-user'],
    [
      'an event without a timestamp',
      auditLine().replace(/"requestReceivedTimestamp":"[^"]*",/, ''),
      'no-timestamp',
    ],
  ])('names %s as a problem', (_what, line, problem) => {
    const parsed = parseAuditLine(line);
    expect(parsed.kind === 'problem' && parsed.problem).toBe(problem);
  });

  it('passes over blank lines', () => {
    expect(parseAuditLine('  ')).toEqual({ kind: 'blank' });
  });
});
