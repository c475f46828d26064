import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OnnxElementType, type OnnxValueInfo, inspectOnnxFile } from '../../../../src-main/core/models/model-folder/onnx-file';
import { fixtureKinds, fixtureModel } from '../../../fixtures/models';
import { onnxBytes } from '../model-folder-files';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-onnx-file-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('inspectOnnxFile', () => {
  it('finds external-data locations in initializers and in Constant nodes, and none in inline tensors', async () => {
    const file = path.join(root, 'm.onnx');
    const locations = () => inspectOnnxFile(file).externalData.map(({ tensor, location }) => ({ tensor, location }));
    await fsp.writeFile(file, onnxBytes({ externalLocation: 'weights.pb' }));
    expect(locations()).toEqual([{ tensor: 'weight', location: 'weights.pb' }]);
    await fsp.writeFile(file, onnxBytes({ externalLocation: '../x.bin', inConstantNode: true }));
    expect(locations()).toEqual([{ tensor: 'weight', location: '../x.bin' }]);
    await fsp.writeFile(file, onnxBytes());
    expect(locations()).toEqual([]);
  });

  it('rejects a file that is not protobuf', async () => {
    const file = path.join(root, 'bad.onnx');
    await fsp.writeFile(file, Buffer.from([0x0a, 0xff, 0xff, 0x7f, 0x01]));
    expect(() => inspectOnnxFile(file)).toThrow(/not a valid ONNX file/);
  });

  it('reads the graph inputs and outputs with element types and symbolic dimensions, without the weights', async () => {
    const optimum = await fixtureModel('sd15-optimum');
    const unet = inspectOnnxFile(path.join(optimum, 'unet', 'model.onnx'));
    expect(unet.inputs.map((input) => input.name)).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    const sample = unet.inputs[0]!;
    expect(sample.elementType).toBe('float32');
    expect(sample.shape).toHaveLength(4);
    expect(sample.shape?.[1]).toBe(4);
    expect(sample.shape?.[0]).toBeTypeOf('string');
    expect(unet.inputs[1]).toMatchObject({ elementType: 'float32', shape: [] });
    expect(unet.outputs.map((output) => output.name)).toEqual(['out_sample']);

  });

  it.each(fixtureKinds)('agrees with ONNX Runtime about the inputs and outputs of every part of the %s fixture', async (kind) => {
    const dir = await fixtureModel(kind);
    for (const part of ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder']) {
      const file = path.join(dir, part, 'model.onnx');
      if (!existsSync(file)) continue;
      const session = await ort.InferenceSession.create(file);
      const asOrt = (values: readonly ort.InferenceSession.ValueMetadata[]): OnnxValueInfo[] =>
        values.map((value) => ({ name: value.name, elementType: value.isTensor ? (value.type as OnnxElementType) : 'unknown', shape: value.isTensor ? [...value.shape] : null }));
      const info = inspectOnnxFile(file);
      expect(info.inputs, `${kind} ${part}`).toEqual(asOrt(session.inputMetadata));
      // ONNX Runtime fills in output dimensions by shape inference; the file's own declaration is what is read.
      const declared = (values: ReturnType<typeof asOrt>) => values.map((v) => ({ name: v.name, elementType: v.elementType, rank: v.shape?.length }));
      expect(declared(info.outputs), `${kind} ${part}`).toEqual(declared(asOrt(session.outputMetadata)));
      await session.release();
    }
  });
});
