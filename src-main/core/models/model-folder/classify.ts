import type { ModelFamily } from '../../../../src-preload/api';

/**
 * The network a model folder holds, as the pipeline runs it: sd1/sd2/sdxl are base models; lcm and turbo are
 * distilled ones that run without an unconditional batch.
 *
 * It is not the contract's ModelFamily, and both are kept because they answer different questions: the
 * family names a published model line for people and the catalog (it has 'demo', which is no network of its
 * own, and tells SD-Turbo from SDXL-Turbo), while the architecture is what the pipeline branches on (with
 * `xl` beside it). A folder's family is derived from its architecture by `familyOf`, never read separately.
 */
export type ModelArchitecture = 'sd1' | 'sd2' | 'sdxl' | 'lcm' | 'turbo';

export interface ArchitectureClues {
  xl: boolean;
  pipelineClass: string;
  schedulerClass: string | null;
  schedulerConfig: Record<string, unknown>;
  unetConfig: Record<string, unknown>;
  textEncoderHiddenSize: number | null;
  /** The model's `_name_or_path` and folder name, where Turbo checkpoints say what they are. */
  name: string;
}

export function detectArchitecture(clues: ArchitectureClues): ModelArchitecture {
  const lcm =
    /LatentConsistency/.test(clues.pipelineClass) ||
    clues.schedulerClass === 'LCMScheduler' ||
    typeof clues.unetConfig['time_cond_proj_dim'] === 'number';
  if (lcm) return 'lcm';
  // Turbo checkpoints ship the stock pipeline classes; their trailing-spacing Euler-ancestral
  // scheduler (or their name) is what sets them apart.
  const trailingAncestral =
    clues.schedulerClass === 'EulerAncestralDiscreteScheduler' && clues.schedulerConfig['timestep_spacing'] === 'trailing';
  if (trailingAncestral || /turbo/i.test(clues.name)) return 'turbo';
  if (clues.xl) return 'sdxl';
  // SD 2.x: the OpenCLIP text encoder is 1024 wide; the 768-pixel models also predict v.
  const crossAttention = clues.unetConfig['cross_attention_dim'];
  if (clues.textEncoderHiddenSize === 1024 || crossAttention === 1024 || clues.schedulerConfig['prediction_type'] === 'v_prediction') {
    return 'sd2';
  }
  return 'sd1';
}

const FAMILY_OF: Record<ModelArchitecture, ModelFamily> = { sd1: 'sd15', sd2: 'sd21', sdxl: 'sdxl', lcm: 'lcm', turbo: 'sd-turbo' };

/** The family an imported folder is listed under. */
export function familyOf(architecture: ModelArchitecture, xl: boolean): ModelFamily {
  if (architecture === 'turbo' && xl) return 'sdxl-turbo';
  return FAMILY_OF[architecture];
}
