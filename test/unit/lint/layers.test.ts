import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const config = createRequire(import.meta.url)(
  join(root, '.dependency-cruiser.cjs'),
) as IConfiguration & { layers: string[] };

async function violations(baseDir: string) {
  const { output } = await cruise(
    ['src'],
    {
      baseDir,
      validate: true,
      ruleSet: { forbidden: config.forbidden ?? [] },
      doNotFollow: { path: 'node_modules' },
      includeOnly: '^src/',
      tsPreCompilationDeps: true,
    },
    { extensions: ['.ts', '.js'] },
  );
  return (output as ICruiseResult).summary.violations.map(
    (v) => `${v.rule.name}: ${v.from} → ${v.to}`,
  );
}

describe('the layer rules of `npm run lint`', { timeout: 60_000 }, () => {
  it('hold on the tree as it is', async () => {
    expect(await violations(root)).toEqual([]);
  });

  it('name every folder of src/', async () => {
    const { readdir } = await import('node:fs/promises');
    const folders = (await readdir(join(root, 'src'), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(folders).toEqual([...config.layers].sort());
  });

  it('fail an upward import and a folder no layer names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-layers-'));
    await mkdir(join(dir, 'src/metrics'), { recursive: true });
    await mkdir(join(dir, 'src/engine'), { recursive: true });
    await mkdir(join(dir, 'src/misc'), { recursive: true });
    await writeFile(
      join(dir, 'src/engine/run.ts'),
      "import { p99 } from '../metrics/stats.js';\nexport const run = p99;\n",
    );
    await writeFile(
      join(dir, 'src/metrics/stats.ts'),
      "import { run } from '../engine/run.js';\nexport const p99 = run;\n",
    );
    await writeFile(
      join(dir, 'src/misc/util.ts'),
      "import { p99 } from '../metrics/stats.js';\nexport const u = p99;\n",
    );
    expect((await violations(dir)).sort()).toEqual([
      'known-layer: src/misc/util.ts → src/metrics/stats.ts',
      'layer-metrics: src/metrics/stats.ts → src/engine/run.ts',
    ]);
  });
});
