/**
 * Reads a demo-model picture the way a person would describe it: which colour the background is, which
 * colour the shape is, and which shape it is. Colours snap to the demo's training palette; the shape
 * comes from how much of its bounding box it fills (a square fills it, a star least).
 */

/** The eight colours the demo model was trained on (tools/demo-model/train.py). */
export const PALETTE = {
  red: [220, 30, 30],
  green: [30, 170, 50],
  blue: [30, 70, 220],
  yellow: [250, 220, 30],
  orange: [250, 130, 0],
  purple: [130, 40, 180],
  white: [245, 245, 245],
  black: [15, 15, 15],
} as const satisfies Record<string, readonly [number, number, number]>;

export type Colour = keyof typeof PALETTE;
export type Shape = 'circle' | 'square' | 'triangle' | 'star';

const COLOURS = Object.keys(PALETTE) as Colour[];

/** Fill of the bounding box at or above which a shape is named; exact drawings fill 0.96, 0.76, 0.53, 0.38. */
const FILL_THRESHOLDS: Array<[number, Shape]> = [
  [0.82, 'square'],
  [0.63, 'circle'],
  [0.45, 'triangle'],
  [0, 'star'],
];

export interface Reading {
  background: Colour;
  colour: Colour | null;
  shape: Shape | null;
  /** The shape's bounding box: where and how big it is. */
  box: { top: number; left: number; bottom: number; right: number } | null;
}

function nearestColour(r: number, g: number, b: number): number {
  let best = 0;
  let bestDistance = Infinity;
  COLOURS.forEach((name, index) => {
    const [pr, pg, pb] = PALETTE[name];
    const distance = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = index;
    }
  });
  return best;
}

/** `rgb` is width × height × 3 bytes, row by row. */
export function readPicture(rgb: Uint8Array, width: number, height: number): Reading {
  const nearest = new Int32Array(width * height);
  for (let i = 0; i < nearest.length; i++) nearest[i] = nearestColour(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!);

  const borderVotes = new Array<number>(COLOURS.length).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y < 2 || y >= height - 2 || x < 2 || x >= width - 2) borderVotes[nearest[y * width + x]!]!++;
    }
  }
  const bg = borderVotes.indexOf(Math.max(...borderVotes));
  const counts = new Array<number>(COLOURS.length).fill(0);
  for (const index of nearest) if (index !== bg) counts[index]!++;
  const background = COLOURS[bg]!;
  if (Math.max(...counts) < 12) return { background, colour: null, shape: null, box: null };
  const fg = counts.indexOf(Math.max(...counts));

  // How far each pixel has moved from the background colour towards the shape colour (0..1).
  const from = PALETTE[background];
  const to = PALETTE[COLOURS[fg]!];
  const axis = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  const axisLength = axis[0]! ** 2 + axis[1]! ** 2 + axis[2]! ** 2;
  const rowSums = new Float64Array(height);
  const columnSums = new Float64Array(width);
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      const along = ((rgb[i]! - from[0]) * axis[0]! + (rgb[i + 1]! - from[1]) * axis[1]! + (rgb[i + 2]! - from[2]) * axis[2]!) / axisLength;
      const soft = Math.min(1, Math.max(0, along));
      if (soft < 0.2) continue;
      rowSums[y]! += soft;
      columnSums[x]! += soft;
      total += soft;
    }
  }
  const rows = [...rowSums.keys()].filter((y) => rowSums[y]! > 1);
  const columns = [...columnSums.keys()].filter((x) => columnSums[x]! > 1);
  const colour = COLOURS[fg]!;
  if (rows.length === 0 || columns.length === 0) return { background, colour, shape: null, box: null };
  const box = { top: rows[0]!, bottom: rows.at(-1)!, left: columns[0]!, right: columns.at(-1)! };
  const fill = total / ((box.bottom - box.top + 1) * (box.right - box.left + 1));
  const shape = FILL_THRESHOLDS.find(([threshold]) => fill >= threshold)![1];
  return { background, colour, shape, box };
}

/** Draws a scene the way the training data does, to check the reader itself. */
export function drawScene(colour: Colour, shape: Shape, background: Colour, size = 64): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  const centre = size / 2;
  const radius = size * 0.3;
  const inside = (x: number, y: number): boolean => {
    const dx = x + 0.5 - centre;
    const dy = y + 0.5 - centre;
    if (shape === 'square') return Math.abs(dx) <= radius && Math.abs(dy) <= radius;
    if (shape === 'circle') return dx * dx + dy * dy <= radius * radius;
    if (shape === 'triangle') return dy <= radius && dy >= -radius && Math.abs(dx) <= ((dy + radius) / (2 * radius)) * radius;
    const angle = Math.atan2(dy, dx);
    const spike = (Math.cos(5 * (angle + Math.PI / 2)) + 1) / 2;
    return Math.hypot(dx, dy) <= radius * (0.4 + 0.6 * spike ** 3);
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [r, g, b] = PALETTE[inside(x, y) ? colour : background];
      rgb.set([r, g, b], 3 * (y * size + x));
    }
  }
  return rgb;
}
