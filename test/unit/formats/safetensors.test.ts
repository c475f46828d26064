import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { SafetensorsFile } from '../../../src-main/core/formats/safetensors';
import { toFloat16Bits } from '../../../src-main/core/runtime/float16';
import { f32, safetensorsBytes, writeSafetensors } from '../../fixtures/safetensors';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();
let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});

async function openError(bytes: Buffer): Promise<EaselError> {
  const file = path.join(dir, 'file.safetensors');
  await fsp.writeFile(file, bytes);
  const error = await SafetensorsFile.open(file).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EaselError);
  return error as EaselError;
}

function withHeader(header: unknown, data = Buffer.alloc(0), claimedLength?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(claimedLength ?? BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

describe('SafetensorsFile', () => {
  it('reads metadata and F32, F16 and BF16 tensors as float32', async () => {
    const file = path.join(dir, 'lora.safetensors');
    const halves = Uint16Array.from([1.5, -2, 0.25].map(toFloat16Bits));
    // bf16 is the top half of a float32: 1.5 = 0x3fc0_0000, -3 = 0xc040_0000.
    const bf16 = Uint16Array.from([0x3fc0, 0xc040]);
    await writeSafetensors(
      file,
      {
        a: f32([1, 2, 3, 4, 5, 6], [2, 3]),
        b: { dtype: 'F16', shape: [3], data: Buffer.from(halves.buffer) },
        c: { dtype: 'BF16', shape: [2, 1], data: Buffer.from(bf16.buffer) },
      },
      { ss_base_model_version: 'sd_v1' },
    );
    const reader = await SafetensorsFile.open(file);
    try {
      expect(reader.metadata).toEqual({ ss_base_model_version: 'sd_v1' });
      expect([...reader.tensors.keys()]).toEqual(['a', 'b', 'c']);
      expect(reader.tensor('a').shape).toEqual([2, 3]);
      expect([...(await reader.readFloat32('a'))]).toEqual([1, 2, 3, 4, 5, 6]);
      expect([...(await reader.readFloat32('b'))]).toEqual([1.5, -2, 0.25]);
      expect([...(await reader.readFloat32('c'))]).toEqual([1.5, -3]);
    } finally {
      await reader.close();
    }
  });

  it('refuses a header length past the end of the file, and a 4 GB claim, without allocating it', async () => {
    const short = await openError(withHeader({}, Buffer.alloc(0), 1000n));
    expect(short.code).toBe('model_invalid');
    expect(short.message).toMatch(/header claims 1000 bytes/);
    const huge = await openError(withHeader({}, Buffer.alloc(0), 4_294_967_296n));
    expect(huge.message).toMatch(/header claims 4294967296 bytes/);
  });

  it('refuses tensors whose offsets leave the data, overlap, or disagree with their shape', async () => {
    const outside = await openError(withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(4)));
    expect(outside.message).toMatch(/it is cut short \(w lies past its end\)/);
    const backwards = await openError(withHeader({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, Buffer.alloc(4)));
    expect(backwards.message).toMatch(/w lies outside the file's data/);
    const overlap = await openError(
      withHeader(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        Buffer.alloc(12),
      ),
    );
    expect(overlap.message).toMatch(/a and b overlap/);
    const mismatch = await openError(withHeader({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)));
    expect(mismatch.message).toMatch(/does not match its shape \[3\] and dtype F16/);
    const negative = await openError(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4)));
    expect(negative.message).toMatch(/invalid shape/);
    const dtype = await openError(withHeader({ w: { dtype: 'F8_E4M3X', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)));
    expect(dtype.message).toMatch(/unknown dtype/);
  });

  it('refuses a header that is not JSON, a truncated file, and a file shorter than the length field', async () => {
    expect((await openError(Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":')]))).message).toMatch(
      /not valid JSON/,
    );
    const whole = safetensorsBytes({ w: f32([1, 2, 3, 4], [4]) });
    expect((await openError(whole.subarray(0, whole.length - 4))).message).toMatch(/it is cut short \(w lies past its end\), as a download that stopped early is; download it again\.$/);
    expect((await openError(Buffer.from([1, 2, 3]))).message).toMatch(/shorter than a safetensors header/);
  });

  it('refuses a PyTorch pickle or zip checkpoint renamed to .safetensors as unsafe, naming the reason', async () => {
    const pickle = await openError(Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x05, 0x00]));
    expect(pickle.code).toBe('model_unsafe');
    expect(pickle.message).toMatch(/PyTorch pickle.*can run any code/);
    const zip = await openError(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]));
    expect(zip.code).toBe('model_unsafe');
  });
});
