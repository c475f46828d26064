// `npm start`: opens Easel's window; where Electron's binary is missing and cannot be fetched (no
// network), says so in one line and serves the same UI through the web host instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The electron package's main export is its binary's path, and requiring it downloads the binary when
 * missing (dependencies install without scripts, see .npmrc). That runs in a child so a failed download
 * stays quiet: one line below says what happens instead.
 */
function electronBinary() {
  const electronDir = path.join(root, 'node_modules', 'electron');
  if (!existsSync(electronDir)) return null;
  if (!existsSync(path.join(electronDir, 'path.txt'))) console.log('Fetching Electron for the first start (about 100 MB)…');
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
  return probe.status === 0 && existsSync(probe.stdout) ? probe.stdout : null;
}

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

const binary = electronBinary();
if (binary) {
  run(binary, [root, ...process.argv.slice(2)]);
} else {
  console.log("Electron's binary is not installed and could not be downloaded here, so Easel opens in your browser instead:");
  run(process.execPath, [path.join(root, 'dist', 'main', 'serve.js'), ...process.argv.slice(2)]);
}
