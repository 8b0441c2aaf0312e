import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromAudit, type FromAuditOptions } from '../../../src/audit/index.js';
import { linesOf } from '../../../src/audit/lines.js';
import { ApfbenchError } from '../../../src/errors.js';
import { auditLine, deriveDefaults, T0 } from '../../support/audit.js';

const options: FromAuditOptions = { ...deriveDefaults, strict: false };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apfbench-audit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const log = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => auditLine({ atMs: T0 + (from + i) * 100 }, from + i));

async function file(name: string, content: string | Buffer) {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function refusal(p: Promise<unknown>): Promise<ApfbenchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApfbenchError))
    throw new Error(`expected an ApfbenchError, got ${String(err)}`);
  return err;
}

describe('fromAudit', () => {
  it('reads several logs, .gz among them, and skips the stages that are not final', async () => {
    const plain = await file(
      'a.log',
      [...log(10), auditLine({ stage: 'RequestReceived' })].join('\n') + '\n',
    );
    const gz = await file('b.log.gz', gzipSync(log(10, 10).join('\n')));
    const { summary, warnings } = await fromAudit([plain, gz], options);
    expect(summary.requests).toBe(20);
    expect(summary.skippedByStage).toEqual({ RequestReceived: 1 });
    expect(summary.inputs.map((i) => [i.lines, i.brokeAfterLine])).toEqual([
      [11, undefined],
      [10, undefined],
    ]);
    expect(warnings).toEqual([]);
  });

  it('names every bad line with its place and still derives from the good ones', async () => {
    const lines = [
      ...log(3),
      auditLine().slice(0, 60),
      '{"apiVersion":"v1","kind":"ConfigMap"}',
      auditLine({ apiVersion: 'audit.k8s.io/v1beta1' }),
      auditLine().replace(/"user":\{[^}]*\},/, ''),
    ];
    const path = await file('bad.log', lines.join('\n'));
    const { summary, warnings } = await fromAudit([path], options);
    expect(summary.requests).toBe(3);
    expect(summary.problems.map((p) => [p.problem, p.count, p.lines[0]!.split(': ')[0]])).toEqual([
      ['invalid-json', 1, `${path}:4`],
      ['not-an-event', 1, `${path}:5`],
      ['unknown-api-version', 1, `${path}:6`],
      ['no-user', 1, `${path}:7`],
    ]);
    expect(warnings).toHaveLength(4);
    const strict = await refusal(fromAudit([path], { ...options, strict: true }));
    expect(strict.code).toBe('APFBENCH_BAD_AUDIT_LOG');
    expect(strict.message).toContain(`${path}:4`);
  });

  it('says where a gzip that ends early stopped', async () => {
    const whole = gzipSync(log(2000).join('\n'));
    const path = await file('cut.log.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const { summary, warnings } = await fromAudit([path], options);
    const input = summary.inputs[0]!;
    expect(input.brokeAfterLine).toBeGreaterThan(0);
    expect(input.brokeAfterLine).toBeLessThan(2000);
    expect(warnings.join('\n')).toContain(`ended early after line ${input.brokeAfterLine}`);
    await expect(fromAudit([path], { ...options, strict: true })).rejects.toThrow(/ended early/);
  });

  it('refuses an empty log, and one without a usable request, with exit 2', async () => {
    const empty = await refusal(fromAudit([await file('empty.log', '')], options));
    expect([empty.code, empty.kind]).toEqual(['APFBENCH_BAD_AUDIT_LOG', 'invalid-input']);
    expect(empty.message).toContain('the log is empty');
    const received = await file('received.log', auditLine({ stage: 'RequestReceived' }));
    expect((await refusal(fromAudit([received], options))).message).toContain(
      'none of its 1 line(s) is a ResponseComplete or Panic audit event',
    );
  });

  it('refuses a file it cannot read', async () => {
    const err = await refusal(fromAudit([join(dir, 'missing.log')], options));
    expect(err.message).toContain('missing.log: cannot read it (ENOENT)');
  });
});

describe('linesOf', () => {
  async function* chunks(...parts: string[]) {
    for (const p of parts) yield Buffer.from(p);
  }

  it('splits lines across chunks, CRLF too, and keeps a last line without a newline', async () => {
    const lines: string[] = [];
    for await (const l of linesOf(chunks('ab\r\nc', 'd\né', 'f'), () => {})) lines.push(l.text);
    expect(lines).toEqual(['ab', 'cd', 'éf']);
  });
});
