// Builds everything the app runs: the renderer with Vite, main/preload/web host/CLI with esbuild.
import { build as esbuild } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: quiet ? 'warning' : 'info',
  absWorkingDir: root,
};

await Promise.all([
  esbuild({
    ...node,
    entryPoints: {
      main: 'src-main/main.ts',
      serve: 'src-main/serve.ts',
    },
    outdir: 'dist/main',
    // Dependencies stay in node_modules: native addons (onnxruntime-node, sharp) cannot be bundled.
    packages: 'external',
  }),
  esbuild({
    ...node,
    entryPoints: { preload: 'src-preload/preload.ts' },
    outdir: 'dist/preload',
    // A sandboxed preload may require nothing but 'electron', so everything else is bundled in.
    external: ['electron'],
  }),
  viteBuild({ configFile: path.join(root, 'vite.config.mts'), logLevel: quiet ? 'warn' : 'info' }),
]);
