import type { ProviderName } from '../../../src-preload/api';
import { providerLabels } from '../runtime/providers';

/** ONNX Runtime's failures as a person can act on them: what is missing and what would fix it. */
const knownFailures: Array<{ provider: ProviderName | null; pattern: RegExp; explain: string }> = [
  {
    provider: 'cuda',
    pattern: /failed to load (shared )?library|providers_cuda|providers_shared|libcudart|libcublas|cudnn|provider is not installed/i,
    explain:
      "CUDA is not installed for Easel: ONNX Runtime's CUDA provider and NVIDIA's CUDA 12 and cuDNN 9 libraries are needed. The other providers still work.",
  },
  {
    provider: 'cuda',
    pattern: /no CUDA-capable device|CUDA driver version is insufficient|cudaErrorNoDevice/i,
    explain: 'CUDA found no usable NVIDIA GPU: there is none, or its driver is too old. Updating the NVIDIA driver may help.',
  },
  {
    provider: 'webgpu',
    pattern: /adapter|vulkan|dawn/i,
    explain:
      'No GPU answered through WebGPU: there is no GPU, or its driver lacks Vulkan (Linux), Direct3D 12 (Windows) or Metal (macOS) support. Updating the graphics driver may help.',
  },
  {
    provider: 'dml',
    pattern: /dxgi|d3d12|directml/i,
    explain: 'DirectML could not use the GPU: its Direct3D 12 driver is missing or too old. Updating the graphics driver may help.',
  },
  {
    provider: null,
    pattern: /out of memory|failed to allocate|\bOOM\b/i,
    explain: 'ran out of memory on the device. Smaller images or a smaller model may fit.',
  },
  {
    provider: null,
    pattern: /NaN|infinite|blank|black/i,
    explain: 'ran but produced an unusable picture (a driver or precision problem), so Easel will not use it.',
  },
  {
    provider: null,
    pattern: /differs from the CPU/i,
    explain: "ran but its picture does not match the CPU's, so its results cannot be trusted; Easel will not use it.",
  },
];

/** One sentence on why `provider` cannot be used, from the technical reason the runtime gave. */
export function explainProviderFailure(provider: ProviderName, technical: string): string {
  const label = providerLabels[provider];
  for (const known of knownFailures) {
    if ((known.provider === null || known.provider === provider) && known.pattern.test(technical)) {
      return known.provider === null ? `${label} ${known.explain}` : known.explain;
    }
  }
  return `${label} could not make the test image: ${technical.split('\n')[0]}`;
}
