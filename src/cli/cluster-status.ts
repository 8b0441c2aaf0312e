import type { RunDir } from '../cluster/index.js';

/**
 * `cluster status --all`: one line per ephemeral control plane directory under `root`, with
 * whether its apfbench still runs, and a note on what happens to the stale ones.
 */
export function runDirLines(root: string, runs: readonly RunDir[]): string[] {
  if (runs.length === 0) return [`no ephemeral control plane directories in ${root}`];
  const width = Math.max(...runs.map((r) => r.dir.length));
  const lines = runs.map((run) => {
    const owner =
      run.owner === undefined
        ? 'no owner.json'
        : `apfbench pid ${run.owner.pid}${run.status === 'stale' ? ' (gone)' : ''}`;
    const servers = run.processes
      .map((p) => `${p.name} pid ${p.pid} (${p.alive ? 'running' : 'not running'})`)
      .join(', ');
    return [run.dir.padEnd(width), run.status.padEnd(7), owner, servers]
      .filter((s) => s !== '')
      .join('  ')
      .trimEnd();
  });
  if (runs.some((r) => r.status === 'stale'))
    lines.push('', 'stale directories are removed by the next apfbench run without --kubeconfig');
  return lines;
}
