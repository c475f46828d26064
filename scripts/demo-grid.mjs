// Makes docs/demo-grid.png: pictures from the built-in demo model, made by Easel's own CLI, one row per
// prompt (held-out combinations first), with the prompt written beside each row.
// Run: node scripts/demo-grid.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const heldOut = JSON.parse(readFileSync(path.join(root, 'tools/demo-model/heldout.json'), 'utf8')).combinations;
const prompts = [
  ...heldOut.slice(0, 4).map((combination) => `${combination.prompt} (held out)`),
  'a blue circle on a yellow background',
  'red square, white background',
  'a black background with a green triangle',
  'a white star on a blue background',
];
const seeds = 4;
const cell = 96;
const labelWidth = 480;

const work = mkdtempSync(path.join(os.tmpdir(), 'easel-demo-grid-'));
const rows = [];
try {
  for (const [index, label] of prompts.entries()) {
    const prompt = label.replace(' (held out)', '');
    const out = path.join(work, String(index));
    execFileSync(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, 'src-main/cli.ts'), 'generate', '--model', path.join(root, 'resources/models/easel-demo'),
        '--prompt', prompt, '--steps', '20', '--guidance', '5', '--size', '64x64', '--scheduler', 'ddim',
        '--seed', String(100 * index), '--count', String(seeds), '--provider', 'cpu', '--out', out],
      { stdio: 'ignore' },
    );
    const files = readdirSync(out).filter((file) => file.endsWith('.png')).sort();
    rows.push({ label, files: files.map((file) => path.join(out, file)) });
  }
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const composites = [];
  for (const [row, { label, files }] of rows.entries()) {
    const text = `<svg width="${labelWidth}" height="${cell}"><text x="12" y="${cell / 2 + 6}" font-family="DejaVu Sans, sans-serif" font-size="16" fill="#e8e9ed">${escape(label)}</text></svg>`;
    composites.push({ input: Buffer.from(text), left: 0, top: row * cell });
    for (const [column, file] of files.entries()) {
      const picture = await sharp(file).resize(cell - 8, cell - 8, { kernel: 'lanczos3' }).png().toBuffer();
      composites.push({ input: picture, left: labelWidth + column * cell + 4, top: row * cell + 4 });
    }
  }
  await sharp({ create: { width: labelWidth + seeds * cell, height: rows.length * cell, channels: 3, background: '#15161a' } })
    .composite(composites)
    .png()
    .toFile(path.join(root, 'docs/demo-grid.png'));
  console.log('Wrote docs/demo-grid.png');
} finally {
  rmSync(work, { recursive: true, force: true });
}
