import { existsSync } from 'node:fs';
import { cudaLibraryPresent, ortBindingDir } from '../../../src-main/core/runtime/providers';

/**
 * Whether this machine certainly cannot start ONNX Runtime's GPU providers, so tests can demand that they
 * really fail. WebGPU on Linux goes through Vulkan: without the Vulkan loader there is no adapter.
 */
export const cudaImpossible = !cudaLibraryPresent(ortBindingDir());

const vulkanLoaders = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
  '/usr/local/lib/libvulkan.so.1',
];
export const webgpuImpossible = process.platform === 'linux' && !vulkanLoaders.some((file) => existsSync(file));
