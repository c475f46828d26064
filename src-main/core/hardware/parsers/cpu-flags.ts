import type { CpuFeatures } from '../types';
import { unreadableOutput } from './errors';

/** AVX2 and AVX-512 (the foundation subset, avx512f) from a list of CPU feature names in any case. */
export function cpuFeaturesFromFlags(flags: Iterable<string>): CpuFeatures {
  const set = new Set([...flags].map((flag) => flag.toLowerCase()));
  return { avx2: set.has('avx2'), avx512: set.has('avx512f') };
}

/** Linux /proc/cpuinfo: the first `flags` line (x86) or `Features` line (ARM, which has no AVX). */
export function parseProcCpuinfo(text: string): CpuFeatures {
  const line = text.split(/\r?\n/).find((l) => /^(flags|features)\s*:/i.test(l));
  if (line === undefined) throw unreadableOutput('/proc/cpuinfo', 'no "flags" line', text);
  return cpuFeaturesFromFlags(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
}

/**
 * macOS `sysctl machdep.cpu.features machdep.cpu.leaf7_features`: AVX2 and AVX-512 are listed in
 * leaf7. Apple Silicon has neither key (sysctl says "unknown oid") and no AVX.
 */
export function parseDarwinSysctlFeatures(result: { stdout: string; stderr: string }): CpuFeatures {
  const lines = result.stdout.split(/\r?\n/).filter((l) => /^machdep\.cpu\.(features|leaf7_features):/.test(l));
  if (lines.length === 0) {
    if (/unknown oid/i.test(result.stderr)) return { avx2: false, avx512: false };
    throw unreadableOutput('sysctl', 'no machdep.cpu.features line', result.stdout || result.stderr);
  }
  return cpuFeaturesFromFlags(lines.flatMap((l) => l.slice(l.indexOf(':') + 1).trim().split(/\s+/)));
}

/**
 * PowerShell script that asks Windows itself: IsProcessorFeaturePresent with
 * PF_AVX2_INSTRUCTIONS_AVAILABLE (40) and PF_AVX512F_INSTRUCTIONS_AVAILABLE (41).
 * systeminformation's Windows flags come from a 32-bit registry value that cannot show AVX2.
 */
const WINDOWS_FEATURE_SCRIPT = [
  "$k = Add-Type -PassThru -Name CpuFeatures -Namespace EaselProbe -MemberDefinition '[DllImport(\"kernel32.dll\")] public static extern bool IsProcessorFeaturePresent(uint feature);'",
  "'avx2=' + $k::IsProcessorFeaturePresent(40)",
  "'avx512f=' + $k::IsProcessorFeaturePresent(41)",
].join('; ');

/** Arguments for powershell; -EncodedCommand (UTF-16LE base64) sidesteps Windows argument quoting. */
export const WINDOWS_CPU_FEATURES_ARGS = [
  '-NoProfile',
  '-NonInteractive',
  '-EncodedCommand',
  Buffer.from(WINDOWS_FEATURE_SCRIPT, 'utf16le').toString('base64'),
] as const;

export function parseWindowsCpuFeatures(stdout: string): CpuFeatures {
  const avx2 = /avx2=(true|false)/i.exec(stdout)?.[1];
  const avx512 = /avx512f=(true|false)/i.exec(stdout)?.[1];
  if (avx2 === undefined || avx512 === undefined) {
    throw unreadableOutput('powershell', 'expected avx2=True/False and avx512f=True/False', stdout);
  }
  return { avx2: avx2.toLowerCase() === 'true', avx512: avx512.toLowerCase() === 'true' };
}
