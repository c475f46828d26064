// Makes docs/edit-demo.png: a picture from the built-in demo model, then the same picture inpainted under a
// mask and outpainted to both sides, all made by Easel's own CLI.
// Run: node scripts/edit-demo.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cell = 192;
const gap = 12;
const label = 28;

const work = mkdtempSync(path.join(os.tmpdir(), 'easel-edit-demo-'));
/** Runs `easel generate` on the demo model and returns the PNG it wrote. */
function generate(name, args) {
  const out = path.join(work, name);
  execFileSync(
    path.join(root, 'node_modules/.bin/tsx'),
    [path.join(root, 'src-main/cli.ts'), 'generate', '--model', path.join(root, 'resources/models/easel-demo'),
      '--steps', '20', '--guidance', '5', '--scheduler', 'ddim', '--provider', 'cpu', '--out', out, ...args],
    { stdio: 'ignore' },
  );
  return path.join(out, readdirSync(out).find((file) => file.endsWith('.png')));
}

try {
  const before = generate('before', ['--prompt', 'a red circle on a blue background', '--size', '64x64', '--seed', '3']);
  const mask = path.join(work, 'mask.png');
  const maskPixels = Buffer.alloc(64 * 64);
  for (let y = 8; y < 56; y++) maskPixels.fill(255, y * 64 + 8, y * 64 + 56);
  await sharp(maskPixels, { raw: { width: 64, height: 64, channels: 1 } }).png().toFile(mask);
  const inpainted = generate('inpainted', ['--prompt', 'a yellow star on a blue background', '--init-image', before, '--mask', mask, '--seed', '5']);
  const outpainted = generate('outpainted', ['--prompt', 'a red circle on a blue background', '--init-image', before, '--outpaint', '32,0,32,0', '--seed', '7']);

  const panels = [
    { file: before, width: cell, text: 'before' },
    { file: mask, width: cell, text: '--mask (white: repaint)' },
    { file: inpainted, width: cell, text: '"a yellow star…"' },
    { file: outpainted, width: 2 * cell, text: '--outpaint 32,0,32,0' },
  ];
  const composites = [];
  let left = 0;
  for (const panel of panels) {
    const picture = await sharp(panel.file).toColourspace('srgb').resize(panel.width, cell, { kernel: 'nearest' }).png().toBuffer();
    composites.push({ input: picture, left, top: 0 });
    const text = `<svg width="${panel.width}" height="${label}"><text x="4" y="20" font-family="DejaVu Sans, sans-serif" font-size="15" fill="#e8e9ed">${panel.text}</text></svg>`;
    composites.push({ input: Buffer.from(text), left, top: cell });
    left += panel.width + gap;
  }
  await sharp({ create: { width: left - gap, height: cell + label, channels: 3, background: '#15161a' } })
    .composite(composites)
    .png()
    .toFile(path.join(root, 'docs/edit-demo.png'));
  console.log('Wrote docs/edit-demo.png');
} finally {
  rmSync(work, { recursive: true, force: true });
}
