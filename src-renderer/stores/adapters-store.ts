import { create } from 'zustand';
import { MAX_ADAPTER_UPLOAD_BYTES, type AdapterBase, type AdapterSummary, type ErrorInfo, type ModelFamily } from '../../src-preload/api';
import { easel } from '../bridge';

interface AdaptersState {
  loras: AdapterSummary[];
  embeddings: AdapterSummary[];
  loaded: boolean;
  /** The last import or list failure, shown in the picker until the next try. */
  error: ErrorInfo | null;
  load(): Promise<void>;
  /** Imports dropped or picked `.safetensors` files one after another; resolves with the ones installed. */
  importFiles(files: File[]): Promise<AdapterSummary[]>;
  /** Said elsewhere already (the Generate screen's notice after a drop). */
  dismissError(): void;
}

/**
 * The architecture each model family's LoRAs are made for; the demo is its own, which no LoRA names, and an
 * upscaler takes none.
 */
const familyBase: Record<ModelFamily, AdapterBase | null> = {
  sd15: 'sd1',
  lcm: 'sd1',
  sd21: 'sd2',
  'sd-turbo': 'sd2',
  sdxl: 'sdxl',
  'sdxl-turbo': 'sdxl',
  demo: null,
  upscaler: null,
  'tiny-decoder': null,
};

export const baseLabels: Record<AdapterBase, string> = { sd1: 'SD 1.x', sd2: 'SD 2.x', sdxl: 'SDXL' };

export type Fit = 'fits' | 'unknown' | 'other';

/**
 * Whether an adapter was made for the model's architecture: 'unknown' when the file does not say (or no model is
 * chosen); one made for any standard base does not fit the demo, which has its own.
 */
export function fitOf(adapter: AdapterSummary, family: ModelFamily | undefined): Fit {
  if (adapter.base === null || family === undefined) return 'unknown';
  return adapter.base === familyBase[family] ? 'fits' : 'other';
}

const fitOrder: Record<Fit, number> = { fits: 0, unknown: 1, other: 2 };

/** Those made for the model first, then those that do not say, then the rest; by name within each. */
export function byFit(adapters: AdapterSummary[], family: ModelFamily | undefined): AdapterSummary[] {
  return [...adapters].sort((a, b) => fitOrder[fitOf(a, family)] - fitOrder[fitOf(b, family)] || a.name.localeCompare(b.name));
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error(`Could not read "${file.name}".`));
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}

export const useAdaptersStore = create<AdaptersState>((set, get) => ({
  loras: [],
  embeddings: [],
  loaded: false,
  error: null,

  load: async () => {
    const result = await easel.adapters.list();
    if (!result.ok) return set({ error: result.error, loaded: true });
    set({ ...result.value, loaded: true });
  },

  importFiles: async (files) => {
    const installed: AdapterSummary[] = [];
    for (const file of files) {
      if (file.size > MAX_ADAPTER_UPLOAD_BYTES) {
        set({
          error: {
            code: 'invalid_request',
            message: `"${file.name}" is larger than ${MAX_ADAPTER_UPLOAD_BYTES / (1024 * 1024)} MB; import it with "easel loras import FILE" instead.`,
          },
        });
        continue;
      }
      let data: string;
      try {
        data = await readAsBase64(file);
      } catch (error) {
        set({ error: { code: 'io', message: (error as Error).message } });
        continue;
      }
      const result = await easel.adapters.import({ fileName: file.name, data });
      if (!result.ok) {
        set({ error: result.error });
        continue;
      }
      installed.push(result.value);
    }
    if (installed.length > 0) {
      if (installed.length === files.length) set({ error: null });
      await get().load();
    }
    return installed;
  },

  dismissError: () => set({ error: null }),
}));
