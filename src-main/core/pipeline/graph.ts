import { EaselError } from '../errors';
import type { HostTensor, OnnxSession, TensorInfo } from '../runtime/session';

export type { HostTensor, TensorInfo };

/** What the pipeline needs of an ONNX session: its declared inputs/outputs and a run. */
export type GraphSession = Pick<OnnxSession, 'inputs' | 'outputs' | 'run'>;

export function findInput(session: GraphSession, name: string): TensorInfo | undefined {
  return session.inputs.find((input) => input.name === name);
}

/** The input called `name`, or the graph's input at `fallbackIndex` for exports that named it otherwise. */
export function tensorInput(session: GraphSession, name: string, fallbackIndex = 0): TensorInfo {
  const input = findInput(session, name) ?? session.inputs[fallbackIndex];
  if (input === undefined) {
    throw new EaselError('model_invalid', `The model graph has no input "${name}".`, {
      inputs: session.inputs.map((i) => i.name),
    });
  }
  return input;
}

/** The output called `name`, or the graph's first output for exports that named it otherwise. */
export function outputName(session: GraphSession, name: string): string {
  if (session.outputs.some((output) => output.name === name)) return name;
  const first = session.outputs[0];
  if (first === undefined) throw new EaselError('model_invalid', `The model graph has no output "${name}".`);
  return first.name;
}

export function floatOutput(outputs: Record<string, HostTensor>, name: string): Float32Array {
  const tensor = outputs[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) {
    throw new EaselError('model_invalid', `The model graph gave no float output "${name}".`, { outputs: Object.keys(outputs) });
  }
  return tensor.data;
}

/** A dimension fixed by the graph, or null when it is symbolic (any size). */
export function staticDim(info: TensorInfo, axis: number): number | null {
  const dim = info.dims[axis];
  return typeof dim === 'number' && dim > 0 ? dim : null;
}
