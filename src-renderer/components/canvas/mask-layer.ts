/**
 * The inpainting mask, painted on a canvas of the picture's size: its alpha is the mask (opaque = repaint),
 * drawn in one tint so it reads over the picture. Each stroke can be undone; the mask leaves as a greyscale
 * PNG, white = repaint, black = keep, which is what the contract takes.
 */

/** The tint the mask shows in; its opacity on screen is the canvas element's. */
const TINT_RGB = [255, 48, 96] as const;
const TINT = TINT_RGB.join(', ');
/** Undo steps kept: each is one full-size copy of the mask. */
const HISTORY = 40;

export interface Stamp {
  x: number;
  y: number;
  /** Diameter in picture pixels. */
  size: number;
}

export class MaskLayer {
  private readonly context: CanvasRenderingContext2D;
  private readonly undoStack: ImageData[] = [];
  private readonly redoStack: ImageData[] = [];
  private last: Stamp | null = null;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('This browser cannot draw on a canvas.');
    this.context = context;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Starts a stroke: the mask as it was is kept for undo. */
  begin(stamp: Stamp, erase: boolean, hardness: number): void {
    this.remember();
    this.last = null;
    this.to(stamp, erase, hardness);
  }

  /** Continues the stroke to `stamp`, stamping along the way so fast moves leave no gaps. */
  to(stamp: Stamp, erase: boolean, hardness: number): void {
    const from = this.last ?? stamp;
    const spacing = Math.max(1, Math.min(from.size, stamp.size) * 0.15);
    const distance = Math.hypot(stamp.x - from.x, stamp.y - from.y);
    const count = Math.max(1, Math.ceil(distance / spacing));
    this.context.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
    for (let index = this.last ? 1 : 0; index <= count; index += 1) {
      const t = index / count;
      this.dab(from.x + (stamp.x - from.x) * t, from.y + (stamp.y - from.y) * t, from.size + (stamp.size - from.size) * t, hardness);
    }
    this.context.globalCompositeOperation = 'source-over';
    this.last = stamp;
    this.onChange();
  }

  /** Takes back a stroke that turned out to be the start of a pinch. */
  abandonStroke(): void {
    const before = this.undoStack.pop();
    if (before) this.context.putImageData(before, 0, 0);
    this.last = null;
    this.onChange();
  }

  end(): void {
    this.last = null;
  }

  undo(): void {
    const before = this.undoStack.pop();
    if (!before) return;
    this.redoStack.push(this.snapshot());
    this.context.putImageData(before, 0, 0);
    this.onChange();
  }

  redo(): void {
    const after = this.redoStack.pop();
    if (!after) return;
    this.undoStack.push(this.snapshot());
    this.context.putImageData(after, 0, 0);
    this.onChange();
  }

  invert(): void {
    this.remember();
    const image = this.snapshot();
    const { data } = image;
    for (let index = 0; index < data.length; index += 4) {
      [data[index], data[index + 1], data[index + 2]] = TINT_RGB;
      data[index + 3] = 255 - data[index + 3]!;
    }
    this.context.putImageData(image, 0, 0);
    this.onChange();
  }

  clear(): void {
    if (this.isEmpty()) return;
    this.remember();
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange();
  }

  /** Nothing painted that would change a pixel (the core binarises at a half). */
  isEmpty(): boolean {
    const { data } = this.snapshot();
    for (let index = 3; index < data.length; index += 4) if (data[index]! >= 128) return false;
    return true;
  }

  /** The mask as painted, to put back with `restore` when the canvas shows the same picture again. */
  save(): ImageData {
    return this.snapshot();
  }

  restore(mask: ImageData): void {
    if (mask.width !== this.canvas.width || mask.height !== this.canvas.height) return;
    this.context.putImageData(mask, 0, 0);
    this.onChange();
  }

  /** The mask as a greyscale PNG, base64 without the data-URL prefix. */
  toPng(): string {
    const mask = this.snapshot();
    const { data } = mask;
    for (let index = 0; index < data.length; index += 4) {
      const value = data[index + 3]!;
      data[index] = value;
      data[index + 1] = value;
      data[index + 2] = value;
      data[index + 3] = 255;
    }
    const out = document.createElement('canvas');
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    out.getContext('2d')?.putImageData(mask, 0, 0);
    const url = out.toDataURL('image/png');
    return url.slice(url.indexOf(',') + 1);
  }

  private dab(x: number, y: number, size: number, hardness: number): void {
    const radius = Math.max(0.5, size / 2);
    const context = this.context;
    if (hardness >= 0.99) {
      context.fillStyle = `rgb(${TINT})`;
    } else {
      // Opaque out to `hardness` of the radius, fading to nothing at the edge.
      const gradient = context.createRadialGradient(x, y, 0, x, y, radius);
      gradient.addColorStop(0, `rgba(${TINT}, 1)`);
      gradient.addColorStop(Math.max(0, hardness), `rgba(${TINT}, 1)`);
      gradient.addColorStop(1, `rgba(${TINT}, 0)`);
      context.fillStyle = gradient;
    }
    context.beginPath();
    context.arc(x, y, radius, 0, Math.PI * 2);
    context.fill();
  }

  private snapshot(): ImageData {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  private remember(): void {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > HISTORY) this.undoStack.shift();
    this.redoStack.length = 0;
  }
}
