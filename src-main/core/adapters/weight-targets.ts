import type { OnnxGraphIndex, OnnxInitializer } from './onnx-weights';

/**
 * The weights a LoRA can change, found by the module that owns them. Real exports name every node after its
 * module's scope (`/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul`,
 * `/text_model/encoder/layers.0/self_attn/q_proj/MatMul`, `/down_blocks.0/resnets.0/conv1/Conv`) while the
 * weight itself may be an anonymous initializer (`onnx::MatMul_1234`), so the node's weight input is followed
 * to the initializer. A torch Linear exported as MatMul keeps its weight transposed ([in, out]); as Gemm with
 * transB, or behind a Transpose node, it stays [out, in]; a Conv weight is [out, in, kh, kw].
 */

export interface WeightTarget {
  /** The module path as diffusers names it: `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  module: string;
  initializer: OnnxInitializer;
  /** `in_out`: stored as [in, out] (MatMul); `out_in`: [out, in, …] as torch keeps it. */
  layout: 'in_out' | 'out_in';
}

export interface WeightTargets {
  byModule: Map<string, WeightTarget>;
  /** The same targets under their module path with dots turned into underscores (kohya's names). */
  byUnderscored: Map<string, WeightTarget>;
}

const WEIGHT_INPUT: Record<string, number> = { MatMul: 1, Gemm: 1, Conv: 1 };

export function findWeightTargets(index: OnnxGraphIndex): WeightTargets {
  const byModule = new Map<string, WeightTarget>();
  for (const node of index.nodes) {
    const inputIndex = WEIGHT_INPUT[node.opType];
    if (inputIndex === undefined || !node.name.startsWith('/')) continue;
    const module = moduleOfNode(node.name);
    if (module === undefined || byModule.has(module)) continue;
    const weightName = node.inputs[inputIndex];
    if (weightName === undefined) continue;
    const direct = index.initializers.get(weightName);
    let target: WeightTarget | undefined;
    if (direct !== undefined) {
      const transposed = node.opType === 'Gemm' ? node.ints.transB === 1 : node.opType === 'Conv';
      target = { module, initializer: direct, layout: transposed ? 'out_in' : 'in_out' };
    } else if (node.opType === 'MatMul') {
      const transposed = transposedInitializer(index, weightName);
      if (transposed !== undefined) target = { module, initializer: transposed, layout: 'out_in' };
    }
    if (target !== undefined && target.initializer.dims.length >= 2) byModule.set(module, target);
  }
  const byUnderscored = new Map([...byModule].map(([module, target]) => [module.replaceAll('.', '_'), target]));
  return { byModule, byUnderscored };
}

/**
 * `/down_blocks.0/attentions.0/proj_in/Conv` → `down_blocks.0.attentions.0.proj_in`: the scope is the module
 * path with `/` between names; the last part names the operator.
 */
export function moduleOfNode(nodeName: string): string | undefined {
  const parts = nodeName.slice(1).split('/');
  if (parts.length < 2) return undefined;
  return parts.slice(0, -1).join('.');
}

/** An initializer reached through a 2-D Transpose node (exporters that keep torch's [out, in] weight). */
function transposedInitializer(index: OnnxGraphIndex, value: string): OnnxInitializer | undefined {
  const node = index.nodes.find((candidate) => candidate.opType === 'Transpose' && candidate.outputs.includes(value));
  if (node === undefined) return undefined;
  const source = node.inputs[0];
  const tensor = source === undefined ? undefined : index.initializers.get(source);
  return tensor !== undefined && tensor.dims.length === 2 ? tensor : undefined;
}
