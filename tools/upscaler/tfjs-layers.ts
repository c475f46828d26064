import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One layer of a TF.js layers model (Keras JSON), reduced to what UpscalerJS's RDN models use. */
export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  inputs: string[];
}

export interface TfjsLayersModel {
  layers: KerasLayer[];
  input: string;
  output: string;
  /** Weights by TF.js name (`F_0/kernel` [kh, kw, in, out], `F_0/bias` [out]), float32. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

interface ModelJson {
  modelTopology: {
    model_config: {
      config: {
        layers: { class_name: string; config: Record<string, unknown> & { name: string }; inbound_nodes: [string, number, number, unknown][][] }[];
        input_layers: [string, number, number][];
        output_layers: [string, number, number][];
      };
    };
  };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

/** Reads model.json and its weight shards (concatenated in manifest order, as TF.js does). */
export function readTfjsLayersModel(modelJsonPath: string): TfjsLayersModel {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as ModelJson;
  const config = json.modelTopology.model_config.config;
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((file) => readFileSync(path.join(path.dirname(modelJsonPath), file))));
    let offset = 0;
    for (const weight of group.weights) {
      if (weight.dtype !== 'float32') throw new Error(`${weight.name}: only float32 weights are supported, not ${weight.dtype}`);
      const count = weight.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(offset + i * 4);
      offset += count * 4;
      weights.set(weight.name, { shape: weight.shape, data });
    }
    if (offset !== bytes.length) throw new Error(`weight shards hold ${bytes.length} bytes; the manifest names ${offset}`);
  }
  return {
    layers: config.layers.map((layer) => ({
      className: layer.class_name,
      name: layer.config.name,
      config: layer.config,
      inputs: (layer.inbound_nodes[0] ?? []).map((inbound) => inbound[0]),
    })),
    input: config.input_layers[0]![0],
    output: config.output_layers[0]![0],
    weights,
  };
}
