import type { ErrorInfo, ParametersSource } from '../../../src-preload/api';

/** The tools whose PNG settings Easel reads. */
export const sourceLabels: Record<ParametersSource, string> = {
  easel: 'Easel',
  a1111: 'AUTOMATIC1111',
  comfyui: 'ComfyUI',
  invokeai: 'InvokeAI',
  fooocus: 'Fooocus',
};

/** What a person can do about a failed generation, by kind of failure. */
const remedies: Partial<Record<ErrorInfo['code'], string>> = {
  provider_failed: 'Choose "CPU only" under Settings → Run models on, then try again.',
  inference_failed: 'Try a smaller size or fewer steps; if it keeps failing, verify the model on the Models screen.',
  model_invalid: 'Verify or reinstall the model on the Models screen.',
  model_unsafe: 'Use a model in the ONNX format; Easel never loads files that can run code.',
  not_found: 'The model may have been removed: pick another one or install it on the Models screen.',
  disk_full: 'Free some disk space, or choose another gallery folder in Settings.',
  io: 'Check that the gallery folder (Settings) exists and can be written to.',
  image_invalid: 'Use a PNG or JPEG image as the starting image.',
  invalid_request: 'Check the settings on the left and try again.',
};

export function remedyFor(error: ErrorInfo): string | null {
  return remedies[error.code] ?? null;
}
