import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'https', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'tls', 'url', 'util',
  'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'test-results/', 'bench-results/', 'models_cache/', 'resources/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The renderer knows only window.easel (through bridge.ts) and the contract's types.
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', ...nodeBuiltins].map((name) => ({
            name,
            message: 'The renderer runs in a page: it talks to Easel through window.easel only.',
          })),
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a page: no Node modules.' },
            { group: ['**/src-main/**', '**/src-main'], message: 'The renderer may not import the main process.' },
          ],
        },
      ],
    },
  },
  {
    // The core is host-agnostic: it runs under Electron, the web host, the CLI and the tests.
    files: ['src-main/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The core imports no electron; pass what it needs in from the host.' }],
          patterns: [{ group: ['**/hosts/**', '**/main', '**/cli/**'], message: 'The core may not depend on a host.' }],
        },
      ],
    },
  },
  {
    // The contract is shared by every process, so it imports nothing environment-specific.
    files: ['src-preload/api.ts', 'src-preload/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ['electron', ...nodeBuiltins], patterns: ['node:*', '**/src-main/**', '**/src-renderer/**'] },
      ],
    },
  },
);
