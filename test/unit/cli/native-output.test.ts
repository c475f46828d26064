import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutNativeLog } from '../../../src-main/cli/native-output';
import { useTempDirs } from '../../helpers/temp';
import { repoRoot } from '../../helpers/web-host';

const tempDir = useTempDirs();

/** What ONNX Runtime and Dawn wrote to stderr on a machine without CUDA or Vulkan, as they wrote it. */
const nativeLog = [
  '\u001b[1;31m2026-12-03 12:25:30.410241215 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] ' +
    '/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() ' +
    '[ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_shared.so with error: cannot open shared object file',
  '\u001b[m',
  "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory",
  '    at operator() (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/BackendVk.cpp:368)',
  '',
].join('\n');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src-main', 'cli.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the native libraries’ log lines', () => {
  it('are told from what else reaches stderr', () => {
    expect(withoutNativeLog(nativeLog)).toBe('');
    const crash = 'node:internal/process: TypeError: boom\n    at main (/app/src-main/cli.ts:12:5)\n';
    expect(withoutNativeLog(`${nativeLog}${crash}`)).toBe(crash);
  });

  it('never reach the terminal from `easel generate`, which words a provider failure for people instead', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'images');
    const args = ['generate', '--model', 'easel-demo', '--prompt', 'a red circle', '--seed', '5', '--steps', '2', '--provider', 'cuda', '--out', out];
    const quiet = await run(args, { EASEL_DATA_DIR: path.join(dir, 'data') });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toMatch(/^(image 1\/1 · step [12]\/2 · \w+ · \d+ s left\n){2}$/);
    expect(quiet.stdout).toContain(path.join(out, 'easel-5.png'));
    expect(quiet.stdout).not.toMatch(/onnxruntime|\.cc:\d+|::/);
    for (const note of quiet.stdout.split('\n').filter((line) => line.includes('skipped:'))) {
      expect(note).toMatch(/^ {2}note: (CUDA skipped: the CUDA provider is not installed \(see README\)|WebGPU skipped: no compatible graphics adapter on this computer)$/);
    }
  });
});
