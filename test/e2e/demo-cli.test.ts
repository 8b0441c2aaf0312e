import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runtime } from '../../src/report/runtime.js';
import { readRunResult } from '../../src/result/read-result.js';
import { runCli } from '../support/cli.js';

// The whole demo takes minutes; its paths are settled before any load. Aimed at a kubeconfig that
// does not exist, from a directory that is not the repository, as a user runs it: it loads the
// bundled scenario and profiles (no scenario or profile error) and then refuses the kubeconfig,
// before it writes anything.
it('apfbench demo from another directory reads its files from the package and refuses a bad kubeconfig before writing', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'apfbench-e2e-demo-'));
  const res = await runCli(['demo', '--kubeconfig', join(cwd, 'missing'), '--quiet'], { cwd });
  expect(res.stderr).not.toMatch(
    /APFBENCH_INVALID_(SCENARIO|PROFILE)|ENOENT.*(scenarios|profiles)\//,
  );
  expect(res.stderr).toContain('APFBENCH_INVALID_KUBECONFIG]: invalid kubeconfig');
  expect(res.stderr).toContain(`${join(cwd, 'missing')}: cannot read the file (ENOENT)`);
  expect(res.code).toBe(2);
  // An earlier demo's comparison would have been replaced by a failed one.
  expect(existsSync(join(cwd, 'results'))).toBe(false);
});

// The whole demo, as a user runs it (minutes). Its noisy tenant's
// LISTs still queued when the drain ran out are abandoned by apfbench and rejected by the server
// later, when their queue wait times out: the server counts more rejections than apfbench saw
// 429s. The report must say so, and pass the cross-check because the difference is explained.
// APFBENCH_DEMO_OUT names the output of a demo that already ran (`.ci/run` runs the README's
// `npm run demo` before the tests and checks its exit code): the test reads it instead of running
// a second one.
it('apfbench demo explains why its 429s differ from the server rejections', async () => {
  const out = process.env.APFBENCH_DEMO_OUT ?? (await runDemo());
  const summary = await readFile(join(out, 'summary.md'), 'utf8');
  const html = await readFile(join(out, 'report.html'), 'utf8');
  const runs = (await readdir(join(out, 'runs'))).sort();
  let differing = 0;
  for (const dir of runs) {
    const r = await readRunResult(join(out, 'runs', dir, 'result.json'));
    const cc = r.server?.crossCheck;
    expect(cc?.difference, `${dir}: server.crossCheck.difference`).toBeDefined();
    if (cc?.difference === undefined || cc.client429 === cc.serverRejected) continue;
    differing++;
    // More rejections on the server, every one of them a request apfbench had abandoned.
    expect(cc.serverRejected).toBeGreaterThan(cc.client429);
    expect(cc.difference).toEqual({
      abandoned: cc.serverRejected - cc.client429,
      inFlightAtEnd: 0,
      other: 0,
    });
    expect(cc.explained).toBe(true);
    expect(cc.clientUnanswered).toBeGreaterThanOrEqual(cc.difference.abandoned);
    const { formatCount } = runtime;
    const profile = r.profile?.name ?? dir;
    const line = `${profile}: the server rejected ${formatCount(cc.serverRejected)} requests in apfbench's flow schemas and apfbench received ${formatCount(cc.client429)} 429s; of the ${formatCount(cc.difference.abandoned)} more rejections on the server: ${formatCount(cc.difference.abandoned)} abandoned by apfbench before the server's 429 came (${formatCount(cc.clientUnanswered ?? 0)} of its requests got no answer: the drain ran out or the client timed out)`;
    expect(summary).toContain(`- ✅ Cross-check with the server: `);
    expect(summary).toContain(line);
    expect(html).toContain('<section id="cross-check"><h2>Cross-check with the server</h2>');
  }
  expect(differing, 'runs whose 429s differ from the server rejections').toBeGreaterThan(0);
}, 900_000);

/** Runs the demo as a user does, in a new directory; its output directory. */
async function runDemo(): Promise<string> {
  const cwd = await mkdtemp(join(tmpdir(), 'apfbench-e2e-demo-'));
  const res = await runCli(['demo', '--quiet', '--out', 'demo'], { cwd, timeoutMs: 900_000 });
  expect(res.stderr).not.toMatch(/^error/m);
  expect(res.code).toBe(0);
  return join(cwd, 'demo');
}
