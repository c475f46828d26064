import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'https', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'tls', 'url', 'util',
  'v8', 'vm', 'worker_threads', 'zlib',
];

/** What every file of the core may not import: electron, a host, or the Easel object the hosts build. */
function coreImports(layerPatterns = []) {
  return {
    paths: [{ name: 'electron', message: 'The core imports no electron; pass what it needs in from the host.' }],
    patterns: [
      { group: ['**/hosts/**', '**/main', '**/cli/**'], message: 'The core may not depend on a host.' },
      {
        group: ['**/easel', '**/easel.ts'],
        message: 'Only the hosts and the CLI build Easel; a part of the core gets what it needs passed in.',
      },
      ...layerPatterns,
    ],
  };
}

/** One direction inside the core: files under `files` may not import `group`, besides the core's own rules. */
function coreLayer(files, message, group) {
  return { files: [files], rules: { 'no-restricted-imports': ['error', coreImports([{ group, message }])] } };
}

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
    rules: { 'no-restricted-imports': ['error', coreImports()] },
  },
  // Inside the core the layers point one way: the pipeline turns parameters into pixels and knows nothing of
  // where models come from beyond the model folder, nor where images go; the runtime runs sessions for it.
  coreLayer('src-main/core/pipeline/**', 'The pipeline may not depend on the gallery, the model store or the jobs: they use it.', [
    '**/gallery',
    '**/gallery/**',
    '**/jobs',
    '**/jobs/**',
    '**/models/**',
    '!**/models/model-folder',
    '!**/models/model-folder/**',
  ]),
  coreLayer('src-main/core/runtime/**', 'The runtime runs sessions for the pipeline; it may not depend on it.', [
    '**/pipeline',
    '**/pipeline/**',
  ]),
  coreLayer('src-main/core/gallery/**', 'The gallery keeps images; it may not depend on the pipeline or the runtime that make them.', [
    '**/pipeline',
    '**/pipeline/**',
    '**/runtime',
    '**/runtime/**',
  ]),
  coreLayer('src-main/core/placeholder/**', 'The pipeline draws the placeholder; the placeholder may not depend on it.', [
    '**/pipeline',
    '**/pipeline/**',
  ]),
  {
    // Shared by the renderer and the core, so it runs in both: nothing from Node, Electron or either side.
    files: ['src-shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', ...nodeBuiltins].map((name) => ({
            name,
            message: 'src-shared runs in the page and in Node alike: it imports nothing environment-specific.',
          })),
          patterns: [
            { group: ['node:*'], message: 'src-shared runs in the page and in Node alike: no Node modules.' },
            {
              group: ['**/src-main/**', '**/src-main', '**/src-renderer/**', '**/src-renderer'],
              message: 'src-shared is below both the core and the renderer: it may import neither.',
            },
          ],
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
