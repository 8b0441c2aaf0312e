// `apfbench scenario from-audit` as a user runs it: the compiled CLI on log files and stdin.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { auditLine, T0 } from '../support/audit.js';
import { cliPath, repoRoot, runCli } from '../support/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apfbench-from-audit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** 30 s of two flows, each request as RequestReceived and ResponseComplete. */
const log = Array.from({ length: 300 }, (_, i) => {
  const e =
    i % 3 === 0
      ? {
          user: 'system:serviceaccount:team-a:builder',
          groups: [
            'system:serviceaccounts',
            'system:serviceaccounts:team-a',
            'system:authenticated',
          ],
          verb: 'list',
          uri: '/api/v1/namespaces/team-a/configmaps?limit=500',
          objectRef: { resource: 'configmaps', namespace: 'team-a', apiVersion: 'v1' },
          atMs: T0 + i * 100,
        }
      : { atMs: T0 + i * 100 };
  return `${auditLine({ ...e, stage: 'RequestReceived' }, i)}\n${auditLine(e, i)}`;
}).join('\n');

describe('apfbench scenario from-audit', () => {
  it('writes a valid scenario and its summary from a .gz log', async () => {
    const input = join(dir, 'audit.log.gz');
    await writeFile(input, gzipSync(`${log}\n`));
    const out = join(dir, 'derived.yaml');
    const res = await runCli(['scenario', 'from-audit', input, '--out', out, '--anonymize']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${out}: 2 replay group(s) from 2 flow(s), 300 request(s)`);
    const scenario = parse(await readFile(out, 'utf8')) as {
      spec: { actors: { identity: string; groups: string[] }[] };
    };
    // Hashed users, recorded groups.
    expect(
      scenario.spec.actors.map((g) => [g.identity.replace(/[0-9a-f]{12}/g, 'H'), g.groups[0]]),
    ).toEqual([
      ['user-H', 'apfbench:tenants'],
      ['system:serviceaccount:ns-H:sa-H', 'system:serviceaccounts'],
    ]);
    expect(await readFile(out, 'utf8')).not.toContain('builder');
    const summary = await readFile(join(dir, 'derived.summary.md'), 'utf8');
    expect(summary).toContain('- skipped, stage RequestReceived: 300');
    const valid = await runCli(['validate', out]);
    expect(valid.stdout).toContain('valid scenario derived: 2 actor group(s), 2 instance(s), 30s');
    expect(valid.code).toBe(0);
  });

  it('reads stdin for -', async () => {
    const out = join(dir, 'stdin.yaml');
    const child = spawn(
      process.execPath,
      [cliPath, 'scenario', 'from-audit', '-', '--out', out, '--top', '1'],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin.end(log);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain('2 replay group(s) from 2 flow(s), 300 request(s)');
    const summary = await readFile(join(dir, 'stdin.summary.md'), 'utf8');
    expect(summary).toContain('| stdin | 600 |');
    expect(summary).toContain('| flow-other-workload-low | (1 flows) |');
  });

  it('warns about lines that are not events and names them in the summary', async () => {
    const input = join(dir, 'mixed.log');
    await writeFile(input, `${log}\n${auditLine().slice(0, 50)}\nnot json\n`);
    const out = join(dir, 'mixed.yaml');
    const res = await runCli(['scenario', 'from-audit', input, '--out', out, '--quiet']);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`warning: 2 line(s) truncated or not JSON, first ${input}:601:`);
    const summary = await readFile(join(dir, 'mixed.summary.md'), 'utf8');
    expect(summary).toContain(`  - ${input}:602:`);
    const strict = await runCli([
      'scenario',
      'from-audit',
      input,
      '--out',
      join(dir, 's.yaml'),
      '--strict',
    ]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('error [APFBENCH_BAD_AUDIT_LOG]');
    expect(existsSync(join(dir, 's.yaml'))).toBe(false);
  });

  it('refuses an empty log with exit 2 and writes nothing', async () => {
    const input = join(dir, 'empty.log');
    await writeFile(input, '');
    const out = join(dir, 'empty.yaml');
    const res = await runCli(['scenario', 'from-audit', input, '--out', out]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `error [APFBENCH_BAD_AUDIT_LOG]: ${input}: no request to derive a scenario from: the log is empty`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a bad flag, naming it', async () => {
    const res = await runCli([
      'scenario',
      'from-audit',
      'x.log',
      '--out',
      join(dir, 'x.yaml'),
      '--speed',
      '0',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--speed: must be > 0 (got 0)');
  });
});
