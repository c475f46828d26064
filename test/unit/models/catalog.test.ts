import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, DEMO_MODEL_ID } from '../../../src-main/core/models/catalog';
import { isRefusedFile, readUpscalerFolder } from '../../../src-main/core/models/model-folder';
import { schedulerNames } from '../../../src-preload/api';

describe('catalog', () => {
  it('has unique ids that are safe folder names', () => {
    const ids = CATALOG.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
  });

  it('offers the models Easel promises, plus the built-in demo', () => {
    const families = CATALOG.map((e) => e.family);
    for (const family of ['sd-turbo', 'sd15', 'lcm', 'sdxl-turbo', 'sdxl', 'demo'] as const) expect(families).toContain(family);
    const demo = CATALOG.find((e) => e.id === DEMO_MODEL_ID);
    expect(demo?.source).toEqual({ kind: 'builtin', dir: 'resources/models/easel-demo' });
    expect(demo?.defaults).toEqual({ scheduler: 'ddim', steps: 20, guidance: 5, width: 64, height: 64 });
  });

  it('says what the demo draws as its model card does, with examples and a placeholder it can draw', () => {
    const card = readFileSync(path.resolve(__dirname, '../../../resources/models/easel-demo/README.md'), 'utf8');
    const listed = (label: string) =>
      (new RegExp(`\\*\\*${label}:\\*\\* (.+)`).exec(card)?.[1] ?? '')
        .replace(/\..*$/, '')
        .split(/,\s*/)
        .map((word) => word.trim());
    const colours = listed('Colours');
    const shapes = listed('Shapes');
    expect(colours).toHaveLength(8);
    expect(shapes).toHaveLength(4);
    const demo = CATALOG.find((e) => e.id === DEMO_MODEL_ID)!.capabilities;
    for (const word of [...colours, ...shapes]) expect(demo.summary).toContain(word);
    expect(demo.summary).toContain('64×64');
    expect(demo.examples.length).toBeGreaterThanOrEqual(3);
    expect(demo.examples.length).toBeLessThanOrEqual(4);
    // Every example and the placeholder name one shape and two colours the demo knows, and nothing else.
    const known = new Set([...colours, ...shapes, 'a', 'an', 'on', 'background']);
    for (const prompt of [...demo.examples, demo.placeholder]) {
      const words = prompt.split(/\s+/);
      expect(words.filter((word) => !known.has(word)), prompt).toEqual([]);
      expect(words.filter((word) => shapes.includes(word)), prompt).toHaveLength(1);
      expect(words.filter((word) => colours.includes(word)), prompt).toHaveLength(2);
    }
    const suggested = CATALOG.find((e) => e.id === demo.suggestedModelId);
    expect(suggested?.source.kind).toBe('huggingface');
  });

  it('gives every downloadable model a placeholder it can draw and no suggestion to look elsewhere', () => {
    for (const entry of CATALOG.filter((e) => e.source.kind === 'huggingface' && e.family !== 'upscaler' && e.family !== 'tiny-decoder')) {
      expect(entry.capabilities.examples, entry.id).toContain(entry.capabilities.placeholder);
      expect(entry.capabilities.suggestedModelId, entry.id).toBeNull();
    }
  });

  it('fetches no file type that can run code, no PyTorch weights and no duplicate files', () => {
    for (const entry of CATALOG) {
      const paths = entry.files.map((f) => f.path);
      expect(new Set(paths).size, entry.id).toBe(paths.length);
      for (const file of paths) {
        expect(isRefusedFile(file) || file.toLowerCase().endsWith('.safetensors'), `${entry.id}: ${file}`).toBe(false);
        expect(file, `${entry.id}: ${file}`).not.toMatch(/fp16|safety_checker|\.\.|^\/|\\/);
      }
    }
  });

  it('lists every file the ONNX pipeline loads', () => {
    for (const entry of CATALOG.filter((e) => e.family !== 'upscaler' && e.family !== 'tiny-decoder')) {
      const paths = entry.files.map((f) => f.path);
      const needed = ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt',
        'text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx'];
      if (entry.family === 'sdxl' || entry.family === 'sdxl-turbo') {
        needed.push('tokenizer_2/vocab.json', 'tokenizer_2/merges.txt', 'text_encoder_2/model.onnx');
      }
      for (const file of needed) expect(paths, entry.id).toContain(file);
    }
  });

  it('states sizes that add up to the total', () => {
    for (const entry of CATALOG) {
      for (const file of entry.files) expect(file.approxBytes, `${entry.id}: ${file.path}`).toBeGreaterThan(0);
      expect(entry.approxTotalBytes).toBe(entry.files.reduce((sum, f) => sum + f.approxBytes, 0));
    }
    const sdxl = CATALOG.find((e) => e.id === 'sdxl-base-1.0');
    expect(sdxl?.approxTotalBytes).toBeGreaterThan(13e9);
  });

  it('pins every hub model to a revision, cites its sources and names its licence', () => {
    for (const entry of CATALOG) {
      expect(schedulerNames).toContain(entry.defaults.scheduler);
      if (entry.schedulers !== undefined) expect(entry.schedulers, entry.id).toContain(entry.defaults.scheduler);
      expect(entry.defaults.steps).toBeGreaterThan(0);
      expect(entry.licence.url).toMatch(/^https:\/\//);
      expect(entry.provenance.length).toBeGreaterThan(0);
      if (entry.source.kind === 'huggingface') {
        expect(entry.source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
        // A full commit hash, or a short one the downloader resolves and checks; never a branch that moves.
        expect(entry.source.revision, entry.id).toMatch(/^[0-9a-f]{7,40}$/);
      }
    }
  });

  it('offers SD 1.5 inpainting as an inpainting model, and only it', () => {
    const inpainting = CATALOG.filter((e) => e.inpainting);
    expect(inpainting.map((e) => e.id)).toEqual(['sd-1.5-inpainting']);
    const [entry] = inpainting as [(typeof CATALOG)[number]];
    expect(entry.family).toBe('sd15');
    expect(entry.source).toMatchObject({ kind: 'huggingface', repo: 'jdp8/optimum-sd-inpainting-onnx-fp16' });
    // Starting images are encoded, so the VAE encoder is needed as well as the decoder.
    expect(entry.files.map((f) => f.path)).toContain('vae_encoder/model.onnx');
    expect(entry.defaults).toMatchObject({ width: 512, height: 512 });
  });

  it('offers Real-ESRGAN x4plus and an anime variant as upscalers, each one pinned ONNX file of known size and SHA-256', () => {
    const upscalers = CATALOG.filter((e) => e.family === 'upscaler');
    expect(upscalers.map((e) => e.id)).toEqual(['real-esrgan-x4plus', 'real-esrgan-x4plus-anime', 'esrgan-slim-x2', 'esrgan-slim-x4']);
    for (const entry of upscalers) {
      expect(entry.upscaleFactor, entry.id).toBe(entry.id === 'esrgan-slim-x2' ? 2 : 4);
      expect(entry.inpainting).toBe(false);
      expect(entry.capabilities.examples, entry.id).toEqual([]);
      expect(entry.files, entry.id).toHaveLength(1);
      expect(entry.files[0]!.path, entry.id).toMatch(/^[^/]+\.onnx$/);
      if (entry.source.kind === 'huggingface') {
        expect(entry.source.revision, entry.id).toMatch(/^[0-9a-f]{40}$/);
        expect(entry.files[0]!.sha256, entry.id).toMatch(/^[0-9a-f]{64}$/);
        expect(entry.files[0]!.bytes, entry.id).toBe(entry.files[0]!.approxBytes);
      }
    }
    expect(CATALOG.filter((e) => e.upscaleFactor !== undefined).every((e) => e.family === 'upscaler')).toBe(true);
  });

  it('offers TAESD and TAESDXL as tiny decoders for their families, each a pinned optimum-style decoder with its SHA-256', () => {
    const decoders = CATALOG.filter((e) => e.family === 'tiny-decoder');
    expect(decoders.map((e) => [e.id, e.tinyDecoderFor])).toEqual([
      ['taesd', 'sd'],
      ['taesdxl', 'sdxl'],
    ]);
    for (const entry of decoders) {
      expect(entry.source.kind === 'huggingface' && entry.source.revision, entry.id).toMatch(/^[0-9a-f]{7,40}$/);
      expect(entry.files.map((f) => f.path), entry.id).toEqual(['vae_decoder/model.onnx']);
      expect(entry.files[0]!.sha256, entry.id).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.licence.name).toBe('MIT');
    }
    expect(CATALOG.filter((e) => e.tinyDecoderFor !== undefined).every((e) => e.family === 'tiny-decoder')).toBe(true);
  });

  it('describes the built-in upscalers as the files they ship with are', async () => {
    for (const entry of CATALOG.filter((e) => e.family === 'upscaler' && e.source.kind === 'builtin')) {
      const dir = path.resolve(__dirname, '../../..', (entry.source as { dir: string }).dir);
      const folder = await readUpscalerFolder(dir);
      expect(path.basename(folder.file)).toBe(entry.files[0]!.path);
      expect(statSync(folder.file).size, entry.id).toBe(entry.files[0]!.approxBytes);
      expect(folder.fixedTile).toBeNull();
    }
  });
});
