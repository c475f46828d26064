import sharp from 'sharp';
import type { GenerationParameters, ImageMetadata } from '../../../src-preload/api';
import type { GeneratedImage } from '../generated-image';

export interface PlaceholderRequest {
  prompt: string;
  seed: string;
  width: number;
  height: number;
  /** Why no model could draw the image; shown on the image and kept in its metadata. */
  reason: string;
  /** The rest of the request, so the gallery entry records what was asked for. */
  parameters?: Partial<Omit<GenerationParameters, 'prompt' | 'seed' | 'width' | 'height'>>;
  /** Earlier notes (providers tried and why each failed). */
  notes?: string[];
  createdAt?: Date;
  app?: string;
}

/**
 * Draws a clearly labelled stand-in image when every inference path failed: a gradient whose colours
 * follow the seed, with the word PLACEHOLDER, the prompt, the seed and the reason written on it.
 */
export async function renderPlaceholder(request: PlaceholderRequest): Promise<GeneratedImage> {
  const { width, height } = request;
  const background = seededGradient(request.seed, width, height);
  const overlay = Buffer.from(overlaySvg(request));
  const { data, info } = await sharp(background, { raw: { width, height, channels: 3 } })
    .composite([{ input: overlay, top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(`placeholder rendered ${info.width}x${info.height}x${info.channels}`);
  }
  const parameters = request.parameters ?? {};
  const metadata: ImageMetadata = {
    prompt: request.prompt,
    negativePrompt: parameters.negativePrompt ?? '',
    modelId: parameters.modelId ?? '',
    modelName: parameters.modelName ?? '',
    scheduler: parameters.scheduler ?? 'euler',
    steps: parameters.steps ?? 0,
    guidance: parameters.guidance ?? 0,
    seed: request.seed,
    width,
    height,
    ...(parameters.strength === undefined ? {} : { strength: parameters.strength }),
    provider: 'placeholder',
    timings: { totalMs: 0, textEncodeMs: 0, denoiseMs: 0, decodeMs: 0, perStepMs: 0 },
    placeholder: true,
    notes: [...(request.notes ?? []), `Placeholder drawn: ${request.reason}`],
    createdAt: (request.createdAt ?? new Date()).toISOString(),
    app: request.app ?? 'Easel',
  };
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, metadata };
}

/** Two colours picked from the seed, blended diagonally: the same seed always gives the same picture. */
function seededGradient(seed: string, width: number, height: number): Buffer {
  const hash = fnv1a(seed);
  const from = hslToRgb((hash % 360) / 360, 0.45, 0.32);
  const to = hslToRgb((((hash >>> 9) % 360) + 120) % 360 / 360, 0.5, 0.55);
  const pixels = Buffer.alloc(width * height * 3);
  const span = Math.max(1, width + height - 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / span;
      const offset = (y * width + x) * 3;
      pixels[offset] = Math.round(from[0] + (to[0] - from[0]) * t);
      pixels[offset + 1] = Math.round(from[1] + (to[1] - from[1]) * t);
      pixels[offset + 2] = Math.round(from[2] + (to[2] - from[2]) * t);
    }
  }
  return pixels;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const chroma = (1 - Math.abs(2 * l - 1)) * s;
  const sector = h * 6;
  const x = chroma * (1 - Math.abs((sector % 2) - 1));
  const [r, g, b] =
    sector < 1 ? [chroma, x, 0] : sector < 2 ? [x, chroma, 0] : sector < 3 ? [0, chroma, x]
      : sector < 4 ? [0, x, chroma] : sector < 5 ? [x, 0, chroma] : [chroma, 0, x];
  const m = l - chroma / 2;
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

function overlaySvg(request: PlaceholderRequest): string {
  const { width, height } = request;
  const bodySize = Math.max(6, Math.min(18, Math.floor(width / 24)));
  // "PLACEHOLDER" in bold takes about 8.5 em: the title shrinks to fit narrow images.
  const titleSize = Math.max(6, Math.min(48, Math.floor((width - 2 * bodySize) / 8.5)));
  const charsPerLine = Math.max(8, Math.floor((width - 2 * bodySize) / (bodySize * 0.6)));
  const lines = [
    ...wrap(request.prompt === '' ? '(empty prompt)' : request.prompt, charsPerLine, 6),
    `seed ${request.seed}`,
    ...wrap(request.reason, charsPerLine, 4),
  ];
  const left = bodySize;
  let y = titleSize + bodySize;
  const text = lines
    .map((line) => {
      y += Math.round(bodySize * 1.3);
      return `<text x="${left}" y="${y}" font-size="${bodySize}">${escapeXml(line)}</text>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="none" stroke="#ffffff" stroke-width="${Math.max(2, titleSize / 8)}" stroke-dasharray="${titleSize / 2}"/>` +
    `<g font-family="DejaVu Sans, Arial, sans-serif" fill="#ffffff">` +
    `<text x="${left}" y="${titleSize + bodySize / 2}" font-size="${titleSize}" font-weight="bold">PLACEHOLDER</text>` +
    text +
    `</g></svg>`
  );
}

function wrap(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const pieces = word.length > width ? word.match(new RegExp(`.{1,${width}}`, 'g')) ?? [word] : [word];
    for (const piece of pieces) {
      if (line === '') line = piece;
      else if (line.length + 1 + piece.length <= width) line += ` ${piece}`;
      else {
        lines.push(line);
        line = piece;
      }
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1]!.slice(0, Math.max(0, width - 1))}…`;
    return kept;
  }
  return lines;
}

/** Escapes text for an SVG text node; control characters (not allowed in XML) become spaces. */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\ufffe\uffff]/g, ' ').replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}
