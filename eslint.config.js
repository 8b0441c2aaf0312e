import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'results/**', 'coverage/**', '.apfbench/**'] },
  js.configs.recommended,
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // The CLI layer is the only place in src/ allowed to print or exit.
      'no-console': 'error',
    },
  },
  {
    // Input YAML is parsed only through src/validation/yaml-load.ts, which bounds alias
    // expansion, nesting and document count: yaml's own parsers have no such limits.
    files: ['src/**/*.ts'],
    ignores: ['src/validation/yaml-load.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'yaml',
              importNames: ['parse', 'parseDocument', 'parseAllDocuments', 'Parser', 'Composer'],
              message: 'parse input YAML with parseYaml() from src/validation/yaml-load.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'scripts/**', 'test/**', 'bin/**', 'hack/**'],
    rules: { 'no-console': 'off' },
  },
);
