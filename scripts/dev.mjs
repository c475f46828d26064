// `npm run dev`: the renderer from Vite's dev server with hot reload, the core behind it through the
// web host (rebuilt at start). Open the printed address in a browser.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await new Promise((resolve, reject) => {
  const build = spawn(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
  build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error('build failed'))));
});

const core = spawn(process.execPath, [path.join(root, 'dist', 'main', 'serve.js')], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const coreUrl = await new Promise((resolve, reject) => {
  core.stdout.on('data', (chunk) => {
    const match = /http:\/\/\S+/.exec(String(chunk));
    if (match) resolve(new URL(match[0]));
  });
  core.on('exit', () => reject(new Error('the web host stopped')));
});
const token = coreUrl.searchParams.get('token');
const target = coreUrl.origin;

// The web host only answers its own origin, so the proxy presents requests as coming from it.
const asCore = (proxyRequest) => proxyRequest.setHeader('origin', target);
const vite = await createServer({
  configFile: path.join(root, 'vite.config.mts'),
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': {
        target,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on('proxyReq', asCore);
          proxy.on('proxyReqWs', asCore);
        },
      },
    },
  },
});
await vite.listen();
const address = vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
console.log(`Easel (development) is running at ${address}?token=${token}`);

const stop = () => {
  core.kill();
  void vite.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
