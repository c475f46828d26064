export { createCommandRunner, type CommandResult, type CommandRunner, type CommandRunnerOptions } from './command-runner';
export { detectHardware, type DetectHardwareOptions, type SystemInfoSource } from './detect';
export { createFileReader, type FileReader } from './file-reader';
export { describeGpu, NO_GPU_SENTENCE, summarizeHardware } from './format';
export { mergeGpuCandidates, type MergeOptions } from './merge';
export type { CpuFeatures, GpuCandidate, GpuInfo, GpuSource, GpuVendor, HardwareReport, ProbeResult } from './types';
