import path from 'node:path';
import { EaselError } from '../errors';
import { SafetensorsFile } from '../formats/safetensors';
import { type LoraComponent, type LoraLayerKeys, parseLoraKeys } from './lora-keys';

export type { LoraComponent, LoraLayerKeys };

/** Formats that can run code when loaded; a LoRA or embedding in one of them is refused by name. */
const PICKLE_EXTENSIONS = ['.pt', '.pth', '.ckpt', '.bin', '.pkl'];

/** Refuses anything but a `.safetensors` file, saying why. */
export function assertSafetensorsName(file: string, what: string): void {
  const extension = path.extname(file).toLowerCase();
  if (PICKLE_EXTENSIONS.includes(extension)) {
    throw new EaselError(
      'model_unsafe',
      `${path.basename(file)} is a PyTorch pickle (${extension}): loading one can run any code, so Easel never opens it. ` +
        `Download the .safetensors version of this ${what} instead.`,
      { file },
    );
  }
  if (extension !== '.safetensors') {
    throw new EaselError('model_invalid', `${path.basename(file)} is not a .safetensors ${what}.`, { file });
  }
}

/** A LoRA file, checked and grouped into layers; tensors are read only when merged. */
export class Lora {
  private constructor(
    readonly file: SafetensorsFile,
    /** The file name without `.safetensors`: what `<lora:NAME:…>` refers to. */
    readonly name: string,
    readonly layers: readonly LoraLayerKeys[],
  ) {}

  static async open(file: string): Promise<Lora> {
    assertSafetensorsName(file, 'LoRA');
    const safetensors = await SafetensorsFile.open(file);
    const parsed = parseLoraKeys([...safetensors.tensors.keys()]);
    const name = path.basename(file, path.extname(file));
    if (parsed.kind === 'unsupported' || parsed.layers.length === 0) {
      await safetensors.close();
      const reason = parsed.kind === 'unsupported' ? parsed.reason : 'it holds no LoRA layers Easel recognises';
      throw new EaselError('model_invalid', `The LoRA ${name} cannot be applied: ${reason}.`, { file });
    }
    for (const layer of parsed.layers) checkShapes(safetensors, name, layer);
    return new Lora(safetensors, name, parsed.layers);
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.file.metadata;
  }

  /** What the file says it was trained on, for messages ("SDXL 1.0 (sd_xl_base_1.0.safetensors)"). */
  get baseModel(): string | undefined {
    const meta = this.file.metadata;
    const version = meta.ss_base_model_version ?? meta['modelspec.architecture'];
    const model = meta.ss_sd_model_name;
    const parts = [version, model !== undefined && model !== version ? `(${model})` : undefined].filter(Boolean);
    return parts.length > 0 ? parts.join(' ') : undefined;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** down is [rank, in, …], up is [out, rank, 1, 1] or [out, rank]; alpha one value. */
function checkShapes(file: SafetensorsFile, name: string, layer: LoraLayerKeys): void {
  const down = file.tensor(layer.down).shape;
  const up = file.tensor(layer.up).shape;
  const rank = down[0];
  const fits =
    rank !== undefined &&
    rank > 0 &&
    down.length >= 2 &&
    up.length >= 2 &&
    up[1] === rank &&
    up.slice(2).every((dim) => dim === 1) &&
    (layer.alpha === undefined || file.tensor(layer.alpha).shape.reduce((a, b) => a * b, 1) === 1);
  if (!fits) {
    throw new EaselError('model_invalid', `The LoRA ${name} is damaged: the layer ${layer.module} has mismatched shapes.`, {
      down,
      up,
    });
  }
}
