import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdaptersCommand } from '../../../src-main/cli/adapters';
import type { AdapterKind } from '../../../src-main/core/adapters/library';
import { a1111LoraHash } from '../../../src-main/core/adapters/prompt-tags';
import { f32, safetensorsBytes } from '../../fixtures/safetensors';
import { captureOutput } from '../../helpers/streams';

let root: string;

async function run(kind: AdapterKind, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = captureOutput();
  const code = await runAdaptersCommand(kind, args, { stdout: output.stdout, stderr: output.stderr, dir: path.join(root, kind) });
  return { code, ...output.written() };
}

const lora = safetensorsBytes(
  {
    'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight': f32([1, 2, 3, 4], [2, 2]),
    'lora_unet_mid_block_attentions_0_proj_in.lora_up.weight': f32([4, 3, 2, 1], [2, 2]),
  },
  { ss_base_model_version: 'sd_v1', ss_tag_frequency: JSON.stringify({ '10_ink': { 'ink wash': 9, brush: 3 } }) },
);

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-cli-adapters-'));
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('easel loras', () => {
  it('imports a LoRA, lists it with its base model, trigger words and A1111 hash, and removes it', async () => {
    const source = path.join(root, 'ink.safetensors');
    await fsp.writeFile(source, lora);

    const empty = await run('lora', ['list']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/\(none; add one with `easel loras import FILE`\)/);

    const imported = await run('lora', ['import', source]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Imported LoRA ink into/);
    expect(existsSync(path.join(root, 'lora', 'ink.safetensors'))).toBe(true);

    const hash = await a1111LoraHash(source);
    const listed = await run('lora', ['list']);
    expect(listed.stdout).toContain(`ink  ${lora.length} B, hash ${hash}, for sd_v1`);
    expect(listed.stdout).toContain('trigger words: ink wash, brush');

    const json = JSON.parse((await run('lora', ['list', '--json'])).stdout) as { dir: string; loras: Array<{ name: string; hash: string; triggerWords: string[] }> };
    expect(json.dir).toBe(path.join(root, 'lora'));
    expect(json.loras.map(({ name, hash: h, triggerWords }) => ({ name, hash: h, triggerWords }))).toEqual([
      { name: 'ink', hash, triggerWords: ['ink wash', 'brush'] },
    ]);

    const again = await run('lora', ['import', source]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ink\.safetensors is already installed; remove it first/);

    const removed = await run('lora', ['remove', 'ink']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe('Removed LoRA ink\n');
    expect(existsSync(path.join(root, 'lora', 'ink.safetensors'))).toBe(false);

    const missing = await run('lora', ['remove', 'ink']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No LoRA named ink in /);
  });

  it('refuses a pickle with the reason and leaves the folder empty', async () => {
    const pickle = path.join(root, 'old.ckpt');
    await fsp.writeFile(pickle, Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const refused = await run('lora', ['import', pickle]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toBe('');
    expect((await run('lora', ['list', '--json'])).stdout).toContain('"loras": []');
  });

  it('answers a wrong command line with its usage and exit code 2', async () => {
    const noName = await run('lora', ['remove']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/^easel loras: remove needs a LoRA name\n\nUsage: easel loras/);
    expect((await run('lora', ['list', '--force'])).stderr).toMatch(/unknown option --force/);
    expect((await run('lora', ['rename'])).code).toBe(2);
    const help = await run('lora', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/<lora:NAME:0\.8>/);
  });
});

describe('easel embeddings', () => {
  it('imports, lists and removes an A1111 embedding', async () => {
    const source = path.join(root, 'badhands.safetensors');
    await fsp.writeFile(source, safetensorsBytes({ emb_params: f32([0.5, -0.5, 0.25, 0], [2, 2]) }));
    const imported = await run('embedding', ['import', source]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/Imported embedding badhands into/);
    expect((await run('embedding', ['list'])).stdout).toMatch(/^embeddings in .*:\n {2}badhands {2}/);
    expect((await run('embedding', ['remove', 'badhands'])).code).toBe(0);
    expect(await fsp.readdir(path.join(root, 'embedding'))).toEqual([]);
  });
});
