import type { ProviderName } from '../../../src-preload/api';
import { providerLabels } from './providers';

/**
 * ONNX Runtime's and Dawn's failure text (library paths, C++ assertions, source locations) in words a person
 * can act on. The runtime's own text stays in the error's detail, for the log and bug reports.
 */
const knownFailures: Array<{ provider: ProviderName | null; pattern: RegExp; words: string }> = [
  {
    provider: 'cuda',
    pattern: /providers_shared|providers_cuda|failed to load (shared )?library|libcudart|libcublas|cudnn/i,
    words: 'the CUDA provider is not installed (see README)',
  },
  {
    provider: 'cuda',
    pattern: /no CUDA-capable device|CUDA driver version is insufficient|cudaErrorNoDevice/i,
    words: 'no usable NVIDIA GPU (none was found, or its driver is too old)',
  },
  { provider: 'webgpu', pattern: /adapter|vulkan|dawn/i, words: 'no compatible graphics adapter on this computer' },
  { provider: 'dml', pattern: /dxgi|d3d12|directml/i, words: 'no usable Direct3D 12 graphics adapter on this computer' },
  { provider: null, pattern: /out of memory|failed to allocate|bad_alloc/i, words: 'not enough memory on the device for this model' },
];

/** "WebGPU: no compatible graphics adapter on this computer", or null when the failure is not a known one. */
export function providerFailureInWords(provider: ProviderName, raw: string): string | null {
  const known = knownFailures.find((failure) => (failure.provider === null || failure.provider === provider) && failure.pattern.test(raw));
  return known === undefined ? null : `${providerLabels[provider]}: ${known.words}`;
}

/** The runtime's first line when a person can read it; null when it is C++ internals (source locations, `::`). */
export function readableRuntimeLine(raw: string): string | null {
  const line = raw.split('\n').find((candidate) => candidate.trim() !== '')?.trim() ?? '';
  if (line === '' || /\.(cc|cpp|h|hpp):\d+|::|\[ONNXRuntimeError\]/.test(line)) return null;
  return line;
}
