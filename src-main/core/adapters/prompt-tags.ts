import { createReadStream, promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import { EaselError } from '../errors';

/**
 * A1111's extra-network syntax in prompts: `<lora:NAME>`, `<lora:NAME:SCALE>` (scale 1 when omitted) and
 * `<lora:NAME:TEXT_SCALE:UNET_SCALE>`; the LyCORIS extension's `<lyco:…>` means the same. The tags are taken
 * out of the text before it is tokenized, as A1111 does, so they cost no tokens.
 */

export interface LoraTag {
  /** The file name without `.safetensors`, as written in the tag. */
  name: string;
  /** Multiplier for the text encoder(s), and for the UNet unless `unetScale` is given. */
  scale: number;
  unetScale?: number;
}

const TAG = /<(lora|lyco):([^>]+)>/gi;

/** The prompt without its LoRA tags, and the tags in the order written. */
export function extractLoraTags(prompt: string): { text: string; tags: LoraTag[] } {
  const tags: LoraTag[] = [];
  const text = prompt.replace(TAG, (whole: string, _kind: string, args: string) => {
    const [rawName, first, second] = args.split(':').map((part) => part.trim());
    const name = rawName ?? '';
    const scale = first === undefined || first === '' ? 1 : Number(first);
    const unetScale = second === undefined || second === '' ? undefined : Number(second);
    if (name === '' || !Number.isFinite(scale) || (unetScale !== undefined && !Number.isFinite(unetScale))) {
      throw new EaselError('invalid_request', `${whole} is not a LoRA tag Easel understands: write <lora:name:0.8>.`, { tag: whole });
    }
    tags.push(unetScale === undefined ? { name, scale } : { name, scale, unetScale });
    return '';
  });
  return { text, tags };
}

/**
 * A1111's short hash of a LoRA (the one its PNGs carry in `Lora hashes`): the first 12 hex digits of the
 * SHA-256 of the file after its safetensors header, which is what the sd-scripts/additional-networks
 * "addnet" hash covers, so editing the metadata does not change it.
 */
export async function a1111LoraHash(file: string): Promise<string> {
  const handle = await fsp.open(file, 'r');
  let start: number;
  try {
    const prefix = Buffer.alloc(8);
    const { bytesRead } = await handle.read(prefix, 0, 8, 0);
    const { size } = await handle.stat();
    const headerLength = bytesRead === 8 ? prefix.readBigUInt64LE(0) : BigInt(size);
    start = headerLength + 8n > BigInt(size) ? size : Number(headerLength) + 8;
  } finally {
    await handle.close();
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { start })) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 12);
}

/**
 * The value A1111 writes after `Lora hashes:`: `name: hash` pairs joined by ", ", the names as written in the
 * prompt with `:` and `,` taken out; the caller quotes it as A1111 quotes any value with a comma or colon.
 */
export function loraHashesValue(entries: ReadonlyArray<{ name: string; hash: string }>): string {
  return entries.map(({ name, hash }) => `${name.replace(/[:,]/g, '')}: ${hash}`).join(', ');
}

/** Reads `Lora hashes` back: name → short hash. */
export function parseLoraHashes(value: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const pair of value.split(',')) {
    const colon = pair.lastIndexOf(':');
    if (colon <= 0) continue;
    hashes.set(pair.slice(0, colon).trim(), pair.slice(colon + 1).trim());
  }
  return hashes;
}
