// Smoke check of the exported demo model in ONNX Runtime, independent of Easel's pipeline:
// CLIP BPE tokenizer, text encoder, 20-step DDIM with classifier-free guidance, VAE decoder,
// VAE encoder round trip, and a PNG of the pictures (one row per prompt, one column per seed).
//
//   node tools/demo-model/check.mjs [--model DIR] [--out FILE] [--size 64] [--guidance 5]
//        [--seeds 4] [--reference WORK/reference.json] [prompt ...]
// --reference compares every graph's output with the PyTorch numbers train.py wrote.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}
const modelDir = option('--model', 'resources/models/easel-demo');
const outFile = option('--out', '/tmp/easel-demo-check.png');
const size = Number(option('--size', '64'));
const guidance = Number(option('--guidance', '5'));
const seeds = Number(option('--seeds', '4'));
const referenceFile = option('--reference', undefined);
const steps = 20;
const prompts = args.length > 0 ? args : [
  'a red circle on a blue background',
  'a yellow star on a purple background',
  'a white triangle on a red background',
  'a green square on a black background',
];

// --- CLIP BPE (byte-level, </w> word ends, merges by rank) ---
function bytesToUnicode() {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + extra++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i])]));
}
const vocab = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer/vocab.json'), 'utf8'));
const mergeLines = fs.readFileSync(path.join(modelDir, 'tokenizer/merges.txt'), 'utf8').split('\n').slice(1);
const ranks = new Map(mergeLines.filter((l) => l.trim()).map((l, i) => [l, i]));
const byteMap = bytesToUnicode();
function bpe(word) {
  const chars = [...Buffer.from(word, 'utf8')].map((b) => byteMap.get(b));
  let symbols = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
  while (symbols.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < symbols.length - 1; i++) {
      const r = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    const pair = `${symbols[best]} ${symbols[best + 1]}`;
    const merged = [];
    for (let i = 0; i < symbols.length; i++) {
      if (i < symbols.length - 1 && `${symbols[i]} ${symbols[i + 1]}` === pair) {
        merged.push(symbols[i] + symbols[i + 1]);
        i++;
      } else merged.push(symbols[i]);
    }
    symbols = merged;
  }
  return symbols;
}
function tokenize(text) {
  const start = vocab['<|startoftext|>'];
  const end = vocab['<|endoftext|>'];
  const words = text.toLowerCase().trim().split(/\s+/).join(' ').match(/'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+/g) ?? [];
  const ids = [start, ...words.flatMap((w) => bpe(w).map((s) => vocab[s])).slice(0, 75), end];
  while (ids.length < 77) ids.push(end);
  return ids;
}

// --- seeded Gaussian noise (not torch's generator; this check only needs determinism) ---
function gaussian(seed, n) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

// --- SD 1.x schedule: scaled_linear betas, "leading" spacing, steps_offset 1 ---
const alphasCumprod = [];
{
  let prod = 1;
  for (let i = 0; i < 1000; i++) {
    const beta = (Math.sqrt(0.00085) + (i / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2;
    prod *= 1 - beta;
    alphasCumprod.push(prod);
  }
}
const ratio = 1000 / steps;
const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + 1);

const load = (name) => ort.InferenceSession.create(path.join(modelDir, name, 'model.onnx'));
const [textEncoder, unet, vaeDecoder, vaeEncoder] = await Promise.all(
  ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'].map(load),
);
for (const [name, s] of Object.entries({ textEncoder, unet, vaeDecoder, vaeEncoder })) {
  console.log(`${name}: inputs ${s.inputNames.join(', ')} -> outputs ${s.outputNames.join(', ')}`);
}
const scaling = JSON.parse(fs.readFileSync(path.join(modelDir, 'vae_decoder/config.json'), 'utf8')).scaling_factor;

async function encodeText(texts) {
  const ids = BigInt64Array.from(texts.flatMap(tokenize).map(BigInt));
  const out = await textEncoder.run({ input_ids: new ort.Tensor('int64', ids, [texts.length, 77]) });
  return out.last_hidden_state;
}

async function generate(prompt, seed) {
  const h = size / 8;
  const w = size / 8;
  const n = 4 * h * w;
  const context = await encodeText(['', prompt]);
  let x = gaussian(seed, n);
  for (const t of timesteps) {
    const doubled = new Float32Array(2 * n);
    doubled.set(x, 0);
    doubled.set(x, n);
    const out = await unet.run({
      sample: new ort.Tensor('float32', doubled, [2, 4, h, w]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(t), BigInt(t)]), [2]),
      encoder_hidden_states: context,
    });
    const eps = out.out_sample.data;
    const aT = alphasCumprod[t];
    const aPrev = t - ratio >= 0 ? alphasCumprod[t - ratio] : alphasCumprod[0];
    const next = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const e = eps[i] + guidance * (eps[n + i] - eps[i]);
      const x0 = (x[i] - Math.sqrt(1 - aT) * e) / Math.sqrt(aT);
      next[i] = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * e;
    }
    x = next;
  }
  const latents = x.map((v) => v / scaling);
  const decoded = await vaeDecoder.run({ latent_sample: new ort.Tensor('float32', latents, [1, 4, h, w]) });
  return decoded.sample;
}

function toRgb(sample, width, height) {
  const rgb = Buffer.alloc(width * height * 3);
  const plane = width * height;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.round((Math.min(1, Math.max(-1, sample.data[c * plane + i])) + 1) * 127.5);
      rgb[i * 3 + c] = v;
    }
  }
  return rgb;
}

if (referenceFile) {
  const ref = JSON.parse(fs.readFileSync(referenceFile, 'utf8'));
  const maxDiff = (got, want) => want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0);
  const ids = tokenize(ref.prompt);
  if (ids.join() !== ref.input_ids.join()) throw new Error(`tokenizer mismatch for "${ref.prompt}"`);
  const hidden = await encodeText([ref.prompt]);
  const eps = await unet.run({
    sample: new ort.Tensor('float32', Float32Array.from(ref.unet_sample), [1, 4, 8, 8]),
    timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(ref.unet_timestep)]), [1]),
    encoder_hidden_states: hidden,
  });
  const decoded = await vaeDecoder.run({
    latent_sample: new ort.Tensor('float32', Float32Array.from(ref.unet_sample), [1, 4, 8, 8]),
  });
  const encoded = await vaeEncoder.run({
    sample: new ort.Tensor('float32', Float32Array.from(ref.decoded), [1, 3, 64, 64]),
  });
  const diffs = {
    text_encoder: maxDiff(hidden.data, ref.last_hidden_state),
    unet: maxDiff(eps.out_sample.data, ref.out_sample),
    vae_decoder: maxDiff(decoded.sample.data, ref.decoded),
    vae_encoder: maxDiff(encoded.latent_sample.data, ref.encoded),
  };
  console.log('max |onnxruntime - pytorch|:', JSON.stringify(diffs));
  if (Object.values(diffs).some((d) => !(d < 1e-3))) process.exit(1);
}

const grid = Buffer.alloc(prompts.length * seeds * size * size * 3);
const gridWidth = seeds * size;
let firstSample;
for (const [row, prompt] of prompts.entries()) {
  for (let col = 0; col < seeds; col++) {
    const started = performance.now();
    const sample = await generate(prompt, 1000 + col);
    console.log(`"${prompt}" seed ${1000 + col}: ${(performance.now() - started).toFixed(0)} ms`);
    firstSample ??= sample;
    const rgb = toRgb(sample, size, size);
    for (let y = 0; y < size; y++) {
      rgb.copy(grid, ((row * size + y) * gridWidth + col * size) * 3, y * size * 3, (y + 1) * size * 3);
    }
  }
}
await sharp(grid, { raw: { width: gridWidth, height: prompts.length * size, channels: 3 } }).png().toFile(outFile);
console.log(`wrote ${outFile}`);

// img2img path: encoder output must match the latent shape and be finite.
const encoded = await vaeEncoder.run({ sample: firstSample });
const latent = encoded.latent_sample;
const finite = latent.data.every(Number.isFinite);
console.log(`vae_encoder: ${firstSample.dims.join('x')} -> ${latent.dims.join('x')}, finite ${finite}`);
if (!finite || latent.dims[2] !== size / 8) process.exit(1);
