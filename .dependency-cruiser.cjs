// The layers of src/, top to bottom. A folder may import only folders below it (and the shared
// src/errors.ts, src/error-codes.ts and src/version.ts), so an upward import fails
// `npm run lint`; since every folder has its place in one order, no two folders can import each
// other.
// docs/architecture.md explains each layer; keep the two in step.
const layers = [
  'cli',
  'agent',
  'engine',
  'check',
  'report',
  'result',
  'audit',
  'actors',
  'cluster',
  'profile',
  'kube',
  'scenario',
  'budget',
  'wire',
  'metrics',
  'timing',
  'validation',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layers.slice(1).map((layer, i) => ({
      name: `layer-${layer}`,
      comment: `src/${layer}/ sits below ${layers.slice(0, i + 1).join(', ')} and must not import them (docs/architecture.md)`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${layers.slice(0, i + 1).join('|')})/` },
    })),
    {
      name: 'shared-base',
      comment:
        'src/errors.ts, src/error-codes.ts and src/version.ts are the base every layer imports; they import no layer',
      severity: 'error',
      from: { path: '^src/(errors|error-codes|version)\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'known-layer',
      comment: 'every folder of src/ is a layer named in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: `^src/(?!(${layers.join('|')})/|(errors|error-codes|version)\\.ts$)` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
// For test/unit/lint/layers.test.ts; not enumerable, since the config's schema allows no extra key.
Object.defineProperty(module.exports, 'layers', { value: layers, enumerable: false });
