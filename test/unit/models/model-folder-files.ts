import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';

/** A tiny ONNX file whose one initializer lives in `location` (external data), or inline. */
export function onnxBytes(options: { externalLocation?: string; inConstantNode?: boolean } = {}): Buffer {
  const tensor: onnx.ITensorProto = options.externalLocation
    ? {
        name: 'weight',
        dims: [4],
        dataType: onnx.TensorProto.DataType.FLOAT,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: options.externalLocation },
          { key: 'offset', value: '0' },
          { key: 'length', value: '16' },
        ],
      }
    : { name: 'weight', dims: [4], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(16) };
  const graph: onnx.IGraphProto = options.inConstantNode
    ? {
        name: 'g',
        node: [{ opType: 'Constant', output: ['weight'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: tensor }] }],
      }
    : { name: 'g', initializer: [tensor] };
  const model = onnx.ModelProto.create({ irVersion: 7, producerName: 'easel-test', opsetImport: [{ version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** Writes a minimal diffusers/optimum ONNX layout (SD 1.x shape) into `dir`. */
export async function writeModelFolder(dir: string, extra: Record<string, Buffer | string> = {}): Promise<void> {
  const files: Record<string, Buffer | string> = {
    'model_index.json': JSON.stringify({ _class_name: 'OnnxStableDiffusionPipeline', text_encoder: ['diffusers', 'OnnxRuntimeModel'] }),
    'scheduler/scheduler_config.json': JSON.stringify({ _class_name: 'PNDMScheduler', prediction_type: 'epsilon' }),
    'tokenizer/vocab.json': '{"a</w>": 0}',
    'tokenizer/merges.txt': '#version: 0.2\n',
    'text_encoder/model.onnx': onnxBytes(),
    'unet/model.onnx': onnxBytes({ externalLocation: 'weights.pb' }),
    'unet/weights.pb': Buffer.alloc(16, 1),
    'vae_decoder/model.onnx': onnxBytes({ inConstantNode: true }),
    ...extra,
  };
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(target, content);
  }
}
