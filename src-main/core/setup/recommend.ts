/**
 * What to run on this machine, and how long each model would take: a pure function of the hardware
 * report, the self-test and the catalog.
 *
 * Time per image = (UNet calls × multiply-adds per call + VAE decode) / the device's rate. Multiply-adds
 * come from published figures scaled by latent area and family; the rate is the larger of
 *  - a rough typical rate for the device class (below: CPU cores and vector width, GPU vendor and memory),
 *  - the rate the self-test measured with the small demo model, which is a floor: a UNet of a few hundred
 *    thousand weights leaves most of a device idle (per-kernel overhead dominates), so scaling its time by
 *    FLOPs alone would predict hours where minutes are right.
 * The results are the right order of magnitude, not a benchmark; the wizard says "about".
 */
import type {
  GpuInfo,
  HardwareReport,
  ModelEstimate,
  ModelFamily,
  ProviderName,
  Recommendation,
  SelfTestReport,
} from '../../../src-preload/api';
import { EaselError } from '../errors';
import { formatBytes, formatMemory } from '../format';
import { formatSeconds } from '../../../src-shared/format';
import type { CatalogEntry } from '../models/catalog';

const GiB = 1024 ** 3;

/** One SD 1.5 UNet call on one 64×64 latent (a 512×512 image): 339 G multiply-adds (BK-SDM, SnapFusion). */
const SD15_UNET_GMACS = 339;
const SD15_LATENT_PIXELS = 64 * 64;
/** The SD VAE decoder at 512×512: about 1.24 T multiply-adds, as much as several UNet calls. */
const VAE_DECODE_GMACS_512 = 1240;
/**
 * On a CPU, ONNX Runtime runs the VAE decoder faster per multiply-add than the UNet: a 512×512 decode takes
 * about 1.5 UNet calls (measured with `npm run bench -- --full-size` on a full-size SD 1.5: a 1-step image
 * with the full VAE is 2.5 UNet calls long, 1.2 with the tiny decoder), so its cost is counted in UNet calls.
 */
const CPU_VAE_DECODE_UNET_CALLS = 1.5;

/**
 * UNet cost per latent pixel relative to SD 1.5. SD 2.x keeps SD 1.5's UNet size (865 M weights, wider
 * attention heads); SDXL's 2.6 B-weight UNet costs about 1.8× per latent pixel (it skips attention at the
 * highest resolution). The demo's cost comes from its weights instead (see `weightsGmacs`).
 */
const familyCost: Record<Exclude<ModelFamily, 'demo' | 'upscaler' | 'tiny-decoder'>, number> = {
  sd15: 1,
  lcm: 1,
  sd21: 1.05,
  'sd-turbo': 1.05,
  sdxl: 1.8,
  'sdxl-turbo': 1.8,
};

/** How good the pictures are, for choosing among models that are fast enough. */
const quality: Record<ModelFamily, number> = {
  sdxl: 5,
  sd15: 4,
  sd21: 4,
  lcm: 3,
  'sdxl-turbo': 3,
  'sd-turbo': 2,
  demo: 0,
  // Upscalers and tiny decoders draw nothing; recommend() never estimates them.
  upscaler: 0,
  'tiny-decoder': 0,
};

/** A model that makes an image within this is pleasant to use; past it, a faster model is preferred. */
const FAST_ENOUGH_SECONDS = 20;
/** From here on, the recommendation says plainly that images take minutes. */
const SLOW_SECONDS = 60;

/** Providers that use a GPU, best first; the CPU is the fallback everywhere. */
const gpuProviders: ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu'];

/** Memory sizes are sold in round numbers but reported a little short (a "16 GB" laptop shows 15.6 GiB). */
const MEMORY_TOLERANCE = 0.9;

/** Typical rates of ONNX Runtime on a CPU, in G multiply-adds per second per physical core. */
function cpuRate(cpu: HardwareReport['cpu']): number {
  const perCore = cpu.avx512 ? 30 : cpu.avx2 ? 20 : 6;
  return Math.max(1, cpu.physicalCores) * perCore;
}

/**
 * Typical effective rates (G multiply-adds per second) of a GPU running a Stable Diffusion UNet through
 * ONNX Runtime, by vendor and memory size (which tracks the product tier): an RTX 3060 12 GB makes an
 * SD 1.5 image in about 4 s with CUDA, an 8 GB Radeon in 7–9 s, an M2 in about 20 s. WebGPU and DirectML
 * kernels are less tuned than CUDA's on NVIDIA cards.
 */
function gpuRate(gpu: GpuInfo | null, provider: ProviderName): number {
  if (gpu === null) return 300;
  const gib = (gpu.vramBytes ?? 4 * GiB) / GiB;
  const tier = (limits: Array<[number, number]>, top: number) => limits.find(([below]) => gib < below)?.[1] ?? top;
  switch (gpu.vendor) {
    case 'nvidia': {
      const rate = tier([[5, 1500], [9, 3500], [13, 5000], [17, 9000], [25, 15000]], 20000);
      return provider === 'cuda' ? rate : rate * 0.6;
    }
    case 'amd':
      return tier([[5, 800], [9, 2000], [13, 3000], [17, 4500]], 7000);
    case 'intel':
      return gpu.vramBytes !== null && gib >= 6 && !gpu.unifiedMemory ? 2500 : 300;
    case 'apple':
      return tier([[9, 700], [17, 1000], [37, 2000]], 4000);
    default:
      return 300;
  }
}

/** The GPU a provider drives: CUDA an NVIDIA card, CoreML Apple's, the others the one with most memory. */
function gpuFor(provider: ProviderName, gpus: GpuInfo[]): GpuInfo | null {
  if (provider === 'cuda') return gpus.find((gpu) => gpu.vendor === 'nvidia') ?? null;
  if (provider === 'coreml') return gpus.find((gpu) => gpu.vendor === 'apple') ?? gpus[0] ?? null;
  return gpus[0] ?? null;
}

/** UNet multiply-adds from the size of the weights, as the self-test estimates its own model's. */
function weightsGmacs(unetBytes: number, latentPixels: number): number {
  return ((unetBytes / 4) * latentPixels) / 10.4 / 1e9;
}

function unetBytes(entry: CatalogEntry): number {
  return entry.files.filter((file) => file.path.startsWith('unet/')).reduce((sum, file) => sum + file.approxBytes, 0);
}

/** Distilled models (Turbo, LCM) and guidance of 1 or less run one latent per call instead of two. */
function batchOf(family: ModelFamily, guidance: number): number {
  return guidance > 1 && family !== 'sd-turbo' && family !== 'sdxl-turbo' && family !== 'lcm' ? 2 : 1;
}

interface Device {
  provider: ProviderName;
  gpu: GpuInfo | null;
  /** G multiply-adds per second. */
  rate: number;
  /** Seconds per step and per image the self-test measured here, when it did. */
  measured: { secondsPerStep: number; secondsPerImage: number } | null;
}

function measuredOn(selfTest: SelfTestReport, provider: ProviderName): Device['measured'] {
  const check = selfTest.checks.find((candidate) => candidate.provider === provider && candidate.ok);
  if (!check || check.secondsPerStep === null || check.secondsPerImage === null) return null;
  return { secondsPerStep: check.secondsPerStep, secondsPerImage: check.secondsPerImage };
}

function deviceFor(provider: ProviderName, hardware: HardwareReport, selfTest: SelfTestReport): Device {
  const gpu = provider === 'cpu' ? null : gpuFor(provider, hardware.gpus);
  const typical = provider === 'cpu' ? cpuRate(hardware.cpu) : gpuRate(gpu, provider);
  const measured = measuredOn(selfTest, provider);
  const model = selfTest.model;
  const floor =
    measured && model && measured.secondsPerStep > 0 ? (model.unetGmacs * batchOf('sd15', model.guidance)) / measured.secondsPerStep : 0;
  return { provider, gpu, rate: Math.max(typical, floor), measured };
}

/** The GPU provider that passed the self-test, best first; the CPU when none did. */
function bestDevice(hardware: HardwareReport, selfTest: SelfTestReport): { best: Device; cpu: Device } {
  const cpu = deviceFor('cpu', hardware, selfTest);
  const working = gpuProviders.find((provider) => selfTest.checks.some((check) => check.provider === provider && check.ok));
  return { best: working === undefined ? cpu : deviceFor(working, hardware, selfTest), cpu };
}

function isDemo(entry: CatalogEntry): boolean {
  return entry.family === 'demo' || entry.source.kind === 'builtin';
}

/** Seconds for one image of `entry` at its defaults on `device`. */
function secondsPerImage(entry: CatalogEntry, device: Device, selfTest: SelfTestReport): number {
  const { steps, guidance, width, height } = entry.defaults;
  const latentPixels = (width / 8) * (height / 8);
  const model = selfTest.model;
  const builtinDir = entry.source.kind === 'builtin' ? entry.source.dir.replace(/\\/g, '/') : null;
  // The demo itself was measured: its fixed part (text encoder, decoder) plus its steps.
  if (builtinDir !== null && model && device.measured && model.dir.replace(/\\/g, '/').endsWith(builtinDir)) {
    const fixed = Math.max(0, device.measured.secondsPerImage - device.measured.secondsPerStep * model.steps);
    return fixed + device.measured.secondsPerStep * steps;
  }
  const perCall = isDemo(entry)
    ? weightsGmacs(unetBytes(entry), latentPixels)
    : SD15_UNET_GMACS * familyCost[entry.family as Exclude<ModelFamily, 'demo' | 'upscaler' | 'tiny-decoder'>] * (latentPixels / SD15_LATENT_PIXELS);
  const decodeGmacs = device.provider === 'cpu' ? CPU_VAE_DECODE_UNET_CALLS * SD15_UNET_GMACS : VAE_DECODE_GMACS_512;
  const decode = isDemo(entry) ? 0 : decodeGmacs * ((width * height) / (512 * 512));
  return (steps * batchOf(entry.family, guidance) * perCall + decode) / device.rate;
}

function describeDevice(device: Device, hardware: HardwareReport): string {
  if (device.provider === 'cpu') return `the CPU (${hardware.cpu.model})`;
  const gpu = device.gpu;
  if (gpu === null) return 'the GPU';
  if (gpu.vramBytes === null) return gpu.name;
  return gpu.unifiedMemory ? `${gpu.name}, ${formatMemory(gpu.vramBytes)} shared memory` : `${gpu.name}, ${formatMemory(gpu.vramBytes)}`;
}

/** Whether `entry` fits, where, and if not why. */
function placement(
  entry: CatalogEntry,
  devices: { best: Device; cpu: Device },
  hardware: HardwareReport,
): { device: Device | null; note: string | null } {
  if (isDemo(entry)) return { device: devices.best, note: null };
  const ramGiB = hardware.memory.totalBytes / GiB;
  const { minRamGb, minVramGb } = entry.requirements;
  if (hardware.disk && entry.approxTotalBytes > hardware.disk.freeBytes) {
    return {
      device: null,
      note: `Needs ${formatBytes(entry.approxTotalBytes)} of disk space; ${formatBytes(hardware.disk.freeBytes)} is free.`,
    };
  }
  if (ramGiB < minRamGb * MEMORY_TOLERANCE) {
    return { device: null, note: `Needs ${minRamGb} GB of memory; this computer has ${formatMemory(hardware.memory.totalBytes)}.` };
  }
  const { best } = devices;
  if (best.provider === 'cpu' || best.gpu === null) return { device: best, note: null };
  const vramGiB = (best.gpu.vramBytes ?? 4 * GiB) / GiB;
  // Unified memory is the system RAM, already checked above.
  if (best.gpu.unifiedMemory || vramGiB >= minVramGb * MEMORY_TOLERANCE) return { device: best, note: null };
  return {
    device: devices.cpu,
    note: `Too big for the GPU's ${formatMemory(best.gpu.vramBytes ?? 0)} (needs ${minVramGb} GB), so it runs on the CPU.`,
  };
}

function estimateFor(entry: CatalogEntry, devices: { best: Device; cpu: Device }, hardware: HardwareReport, selfTest: SelfTestReport): ModelEstimate {
  const { device, note } = placement(entry, devices, hardware);
  const seconds = device === null ? null : secondsPerImage(entry, device, selfTest);
  return {
    modelId: entry.id,
    name: entry.displayName,
    family: entry.family,
    width: entry.defaults.width,
    height: entry.defaults.height,
    steps: entry.defaults.steps,
    provider: device?.provider ?? null,
    fits: device !== null,
    secondsPerImage: seconds === null ? null : Math.round(seconds * 100) / 100,
    // The time is in secondsPerImage, which every reader shows; the note adds only what it does not say.
    note,
    downloadBytes: isDemo(entry) ? 0 : entry.approxTotalBytes,
  };
}

function choose(estimates: ModelEstimate[]): ModelEstimate | undefined {
  const real = estimates.filter((estimate) => estimate.fits && estimate.family !== 'demo' && estimate.secondsPerImage !== null);
  const fastEnough = real.filter((estimate) => estimate.secondsPerImage! <= FAST_ENOUGH_SECONDS);
  const byQualityThenSpeed = (a: ModelEstimate, b: ModelEstimate) =>
    quality[b.family] - quality[a.family] || a.secondsPerImage! - b.secondsPerImage!;
  if (fastEnough.length > 0) return [...fastEnough].sort(byQualityThenSpeed)[0];
  return [...real].sort((a, b) => a.secondsPerImage! - b.secondsPerImage!)[0];
}

function summarise(chosen: ModelEstimate, device: Device, hardware: HardwareReport, others: ModelEstimate[]): string {
  const steps = chosen.steps < 10 ? ` in ${chosen.steps} step${chosen.steps === 1 ? '' : 's'}` : '';
  const time = chosen.secondsPerImage === null ? '' : `, about ${formatSeconds(chosen.secondsPerImage)} per image`;
  const what = `${chosen.name} at ${chosen.width}×${chosen.height}${steps}${time}`;
  if (device.provider !== 'cpu') return `${describeDevice(device, hardware)}: ${what}`;
  const unused = hardware.gpus.length > 0 ? `${hardware.gpus[0]!.name} could not be used` : 'No GPU Easel can use';
  const slow = (chosen.secondsPerImage ?? 0) >= SLOW_SECONDS;
  const othersSlow = others.some((estimate) => estimate.fits && (estimate.secondsPerImage ?? 0) >= SLOW_SECONDS);
  const warning = slow ? ': images take minutes on this machine' : othersSlow ? '; larger models take minutes per image here' : '';
  return `${unused}, so the CPU does the work. ${what}${warning}.`;
}

/**
 * The provider and model to use on this machine, with an estimate for every catalog model. The model is
 * the best-looking one that makes an image within ~20 s; where none does, the fastest one (SD-Turbo on
 * most CPUs); where no download fits, the built-in demo.
 */
export function recommend(hardware: HardwareReport, selfTest: SelfTestReport, catalog: readonly CatalogEntry[]): Recommendation {
  const devices = bestDevice(hardware, selfTest);
  const estimates = catalog.filter((entry) => entry.family !== 'upscaler' && entry.family !== 'tiny-decoder').map((entry) => estimateFor(entry, devices, hardware, selfTest));
  const demo = estimates.find((estimate) => estimate.family === 'demo');
  const chosen = choose(estimates) ?? demo;
  if (chosen === undefined) {
    throw new EaselError('not_found', 'No model in the catalog fits on this machine, and the built-in demo is missing.');
  }
  const device = chosen.provider === 'cpu' ? devices.cpu : devices.best;
  const ordered = [
    chosen,
    ...estimates
      .filter((estimate) => estimate !== chosen)
      .sort((a, b) => Number(b.fits) - Number(a.fits) || (a.secondsPerImage ?? Infinity) - (b.secondsPerImage ?? Infinity)),
  ];
  const others = ordered.slice(1);
  const summary =
    chosen === demo
      ? `No model download fits on this machine; the built-in demo (${chosen.width}×${chosen.height}) runs on ${describeDevice(device, hardware)}.`
      : summarise(chosen, device, hardware, others);
  return {
    provider: device.provider,
    device: describeDevice(device, hardware),
    modelId: chosen.modelId,
    width: chosen.width,
    height: chosen.height,
    steps: chosen.steps,
    secondsPerImage: chosen.secondsPerImage,
    slow: (chosen.secondsPerImage ?? 0) >= SLOW_SECONDS,
    summary,
    estimates: ordered,
  };
}
