import type { ImageMetadata, ProviderChoice, ProviderName } from '../src-preload/api';

/** Providers by their technical names, where a result says what ran it ("Ran on: WebGPU"). */
export const providerLabels: Record<ImageMetadata['provider'], string> = {
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
  webgpu: 'WebGPU',
  cpu: 'CPU',
  placeholder: 'placeholder',
};

/** The choices in Settings → Run models on, with the system each one needs. */
export const providerChoiceLabels: Record<ProviderChoice, string> = {
  auto: 'Automatic (best available)',
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML (Windows)',
  coreml: 'Core ML (macOS)',
  webgpu: 'WebGPU',
  cpu: 'CPU only',
};

/** Providers as a person knows them, in setup: by the part of the computer that does the work. */
export const providerNames: Record<ProviderName, string> = {
  cpu: 'Processor (CPU)',
  cuda: 'NVIDIA graphics card (CUDA)',
  dml: 'Graphics card (DirectML)',
  coreml: 'Apple GPU and Neural Engine (Core ML)',
  webgpu: 'Graphics card (WebGPU)',
};

/** The part that does the work, inside a sentence: "about 4 s per picture on the graphics card". */
export const deviceNames: Record<ProviderName, string> = {
  cpu: 'processor',
  cuda: 'NVIDIA graphics card',
  dml: 'graphics card',
  coreml: 'Apple GPU',
  webgpu: 'graphics card',
};
