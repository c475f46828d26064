import path from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: path.join(import.meta.dirname, 'src-renderer'),
  base: './',
  build: {
    outDir: path.join(import.meta.dirname, 'dist', 'renderer'),
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline scripts; keep every module a file.
    assetsInlineLimit: 0,
  },
});
