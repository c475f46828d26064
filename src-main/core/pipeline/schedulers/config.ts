import { EaselError } from '../../errors';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type FinalSigmasType = 'zero' | 'sigma_min';

/**
 * The keys of a diffusers `scheduler_config.json` that Easel's schedulers read, in camelCase.
 * A key that is absent (or null, or listed in `_use_default_values`) stays undefined so that each
 * scheduler applies its own diffusers class default, as `from_config` does when a config saved by
 * one scheduler class is loaded into another.
 */
export interface SchedulerConfig {
  numTrainTimesteps?: number;
  betaStart?: number;
  betaEnd?: number;
  betaSchedule?: BetaSchedule;
  trainedBetas?: readonly number[];
  predictionType?: PredictionType;
  timestepSpacing?: TimestepSpacing;
  stepsOffset?: number;
  setAlphaToOne?: boolean;
  clipSample?: boolean;
  clipSampleRange?: number;
  rescaleBetasZeroSnr?: boolean;
  useKarrasSigmas?: boolean;
  useExponentialSigmas?: boolean;
  sigmaMin?: number;
  sigmaMax?: number;
  finalSigmasType?: FinalSigmasType;
  lowerOrderFinal?: boolean;
  eulerAtFinal?: boolean;
  solverOrder?: number;
  /** DPM-Solver: midpoint | heun; UniPC: bh1 | bh2 (other names fall back as diffusers does). */
  solverType?: string;
  predictX0?: boolean;
  disableCorrector?: readonly number[];
  lambdaMinClipped?: number;
  originalInferenceSteps?: number;
  timestepScaling?: number;
  /** Options Easel does not implement; a scheduler that would use one rejects a config that turns it on. */
  useBetaSigmas?: boolean;
  useLuLambdas?: boolean;
  useFlowSigmas?: boolean;
  useDynamicShifting?: boolean;
  thresholding?: boolean;
  interpolationType?: 'linear' | 'log_linear';
  timestepType?: 'discrete' | 'continuous';
}

type Reader<T> = (value: unknown, key: string) => T;

function invalid(key: string, expected: string, value: unknown): EaselError {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new EaselError(
    'model_invalid',
    `The model's scheduler config has a bad value for "${key}": expected ${expected}, got ${shown}.`,
    { key, value },
  );
}

const positiveNumber: Reader<number> = (value, key) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(key, 'a positive number', value);
  }
  return value;
};

const probability: Reader<number> = (value, key) => {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw invalid(key, 'a number between 0 and 1', value);
  }
  return value;
};

function integerIn(min: number, max: number): Reader<number> {
  return (value, key) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalid(key, `an integer from ${min} to ${max}`, value);
    }
    return value;
  };
}

const boolean: Reader<boolean> = (value, key) => {
  if (typeof value !== 'boolean') throw invalid(key, 'true or false', value);
  return value;
};

/** lambda_min_clipped is -Infinity by default, which a saved config writes as the bare token. */
const numberOrInfinity: Reader<number> = (value, key) => {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(key, 'a number', value);
  return value;
};

const anyString: Reader<string> = (value, key) => {
  if (typeof value !== 'string') throw invalid(key, 'a string', value);
  return value;
};

function oneOf<T extends string>(...allowed: T[]): Reader<T> {
  return (value, key) => {
    if (typeof value !== 'string' || !(allowed as string[]).includes(value)) {
      throw invalid(key, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
    }
    return value as T;
  };
}

const betaArray: Reader<readonly number[]> = (value, key) => {
  if (!Array.isArray(value) || value.length < 2 || !value.every((b) => typeof b === 'number' && b > 0 && b < 1)) {
    throw invalid(key, 'a list of betas, each between 0 and 1', value);
  }
  return value as number[];
};

const integerArray: Reader<readonly number[]> = (value, key) => {
  if (!Array.isArray(value) || !value.every((i) => Number.isInteger(i))) {
    throw invalid(key, 'a list of integers', value);
  }
  return value as number[];
};

const readers: { [K in keyof SchedulerConfig]-?: [string, Reader<NonNullable<SchedulerConfig[K]>>] } = {
  numTrainTimesteps: ['num_train_timesteps', integerIn(2, 100_000)],
  betaStart: ['beta_start', probability],
  betaEnd: ['beta_end', probability],
  betaSchedule: ['beta_schedule', oneOf('linear', 'scaled_linear', 'squaredcos_cap_v2')],
  trainedBetas: ['trained_betas', betaArray],
  predictionType: ['prediction_type', oneOf('epsilon', 'v_prediction', 'sample')],
  timestepSpacing: ['timestep_spacing', oneOf('leading', 'trailing', 'linspace')],
  stepsOffset: ['steps_offset', integerIn(0, 1000)],
  setAlphaToOne: ['set_alpha_to_one', boolean],
  clipSample: ['clip_sample', boolean],
  clipSampleRange: ['clip_sample_range', positiveNumber],
  rescaleBetasZeroSnr: ['rescale_betas_zero_snr', boolean],
  useKarrasSigmas: ['use_karras_sigmas', boolean],
  useExponentialSigmas: ['use_exponential_sigmas', boolean],
  sigmaMin: ['sigma_min', positiveNumber],
  sigmaMax: ['sigma_max', positiveNumber],
  finalSigmasType: ['final_sigmas_type', oneOf('zero', 'sigma_min')],
  lowerOrderFinal: ['lower_order_final', boolean],
  eulerAtFinal: ['euler_at_final', boolean],
  solverOrder: ['solver_order', integerIn(1, 3)],
  solverType: ['solver_type', anyString],
  predictX0: ['predict_x0', boolean],
  disableCorrector: ['disable_corrector', integerArray],
  lambdaMinClipped: ['lambda_min_clipped', numberOrInfinity],
  originalInferenceSteps: ['original_inference_steps', integerIn(1, 100_000)],
  timestepScaling: ['timestep_scaling', positiveNumber],
  useBetaSigmas: ['use_beta_sigmas', boolean],
  useLuLambdas: ['use_lu_lambdas', boolean],
  useFlowSigmas: ['use_flow_sigmas', boolean],
  useDynamicShifting: ['use_dynamic_shifting', boolean],
  thresholding: ['thresholding', boolean],
  interpolationType: ['interpolation_type', oneOf('linear', 'log_linear')],
  timestepType: ['timestep_type', oneOf('discrete', 'continuous')],
};

const parsedConfigs = new WeakSet<SchedulerConfig>();

/** True for an object returned by parseSchedulerConfig (so it is not read twice as raw JSON). */
export function isParsedSchedulerConfig(value: unknown): value is SchedulerConfig {
  return typeof value === 'object' && value !== null && parsedConfigs.has(value);
}

/**
 * Reads a parsed `scheduler/scheduler_config.json`. Unknown keys are ignored; a known key with a
 * bad value throws EaselError('model_invalid') naming the key.
 */
export function parseSchedulerConfig(raw: unknown): SchedulerConfig {
  if (isParsedSchedulerConfig(raw)) return raw;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EaselError('model_invalid', "The model's scheduler config is not a JSON object.", { value: raw });
  }
  const source = raw as Record<string, unknown>;
  const useDefaults = source['_use_default_values'];
  const defaulted = new Set(Array.isArray(useDefaults) ? useDefaults.filter((k) => typeof k === 'string') : []);
  const config: Record<string, unknown> = {};
  for (const [field, [key, read]] of Object.entries(readers) as [string, [string, Reader<unknown>]][]) {
    const value = source[key];
    if (value === undefined || value === null || defaulted.has(key)) continue;
    config[field] = read(value, key);
  }
  const parsed = config as SchedulerConfig;
  const trainSteps = parsed.numTrainTimesteps ?? 1000;
  if (parsed.trainedBetas !== undefined && parsed.trainedBetas.length !== trainSteps) {
    throw invalid('trained_betas', `${trainSteps} betas (num_train_timesteps)`, `${parsed.trainedBetas.length} betas`);
  }
  if (parsed.originalInferenceSteps !== undefined && parsed.originalInferenceSteps > trainSteps) {
    throw invalid('original_inference_steps', `at most num_train_timesteps (${trainSteps})`, parsed.originalInferenceSteps);
  }
  parsedConfigs.add(parsed);
  return parsed;
}

/** Rejects a config that turns on an option this scheduler would need but Easel does not implement. */
export function rejectUnsupported(
  scheduler: string,
  config: SchedulerConfig,
  options: readonly (keyof SchedulerConfig)[],
): void {
  for (const option of options) {
    const value = config[option];
    const off = value === undefined || value === false || value === 'linear' || value === 'discrete';
    if (!off) {
      const key = readers[option][0];
      throw new EaselError(
        'model_invalid',
        `The model's scheduler config sets "${key}" to ${JSON.stringify(value)}, which Easel's ${scheduler} scheduler does not support. Pick another scheduler or remove that setting.`,
        { key, value },
      );
    }
  }
}
