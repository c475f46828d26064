import zlib from 'node:zlib';
import { EaselError } from '../errors';

/**
 * Reading and writing the text chunks of a PNG (tEXt, zTXt, iTXt), where Easel and other Stable
 * Diffusion tools keep an image's generation parameters. Works on whole files in memory; every chunk's
 * CRC is checked so a damaged file is reported rather than half-read.
 */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A table-driven CRC-32 (ISO 3309, as PNG uses): zlib.crc32 only exists from Node 20.15 / 22.2. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) crc = CRC_TABLE[(crc ^ part[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  data: Buffer;
  /** Offset of the chunk's length field in the file. */
  offset: number;
}

function damaged(message: string, detail: Record<string, unknown>): EaselError {
  return new EaselError('image_invalid', message, detail);
}

/** Splits a PNG into chunks up to and including IEND, checking the signature, bounds and every CRC. */
export function readPngChunks(png: Uint8Array): PngChunk[] {
  const buffer = Buffer.isBuffer(png) ? png : Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buffer.length < PNG_SIGNATURE.length || !buffer.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw damaged('This file is not a PNG image (its first bytes are not the PNG signature).', {
      reason: 'signature',
    });
  }
  const chunks: PngChunk[] = [];
  let offset = PNG_SIGNATURE.length;
  for (;;) {
    if (offset + 12 > buffer.length) {
      throw damaged('This PNG image is cut short (it ends before its IEND chunk); the file is incomplete.', {
        reason: 'truncated',
        offset,
      });
    }
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      throw damaged(`This PNG image is damaged: a chunk at byte ${offset} has no valid type.`, {
        reason: 'chunk_type',
        offset,
      });
    }
    const dataStart = offset + 8;
    const dataEnd = dataStart + length;
    if (length > 0x7fffffff || dataEnd + 4 > buffer.length) {
      throw damaged(`This PNG image is cut short (its ${type} chunk runs past the end of the file).`, {
        reason: 'truncated',
        offset,
        chunk: type,
      });
    }
    const data = buffer.subarray(dataStart, dataEnd);
    const expected = buffer.readUInt32BE(dataEnd);
    if (crc32(buffer.subarray(offset + 4, dataStart), data) !== expected) {
      throw damaged(`This PNG image is damaged: the checksum of its ${type} chunk at byte ${offset} does not match.`, {
        reason: 'crc',
        offset,
        chunk: type,
      });
    }
    chunks.push({ type, data, offset });
    offset = dataEnd + 4;
    if (type === 'IEND') return chunks;
  }
}

/** Width and height from the IHDR chunk, which the PNG format requires to come first. */
export function readPngSize(png: Uint8Array): { width: number; height: number } {
  const ihdr = readPngChunks(png)[0];
  if (!ihdr || ihdr.type !== 'IHDR' || ihdr.data.length !== 13) {
    throw damaged('This PNG image is damaged: it does not start with a valid IHDR chunk.', { reason: 'ihdr' });
  }
  return { width: ihdr.data.readUInt32BE(0), height: ihdr.data.readUInt32BE(4) };
}

function encodeChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8), data), 8 + data.length);
  return out;
}

/** PNG keywords: 1–79 Latin-1 printable characters, no leading, trailing or double spaces. */
function checkKeyword(keyword: string): void {
  const valid =
    keyword.length >= 1 &&
    keyword.length <= 79 &&
    /^[\x20-\x7e\xa1-\xff]+$/.test(keyword) &&
    !keyword.startsWith(' ') &&
    !keyword.endsWith(' ') &&
    !keyword.includes('  ');
  if (!valid) {
    throw new EaselError(
      'invalid_request',
      `"${keyword}" cannot be a PNG text keyword: use 1 to 79 Latin-1 letters, digits or punctuation, with single inner spaces.`,
      { keyword },
    );
  }
}

/** Text that tEXt can hold as is: Latin-1 without NUL. */
function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0 || code > 0xff) return false;
  }
  return true;
}

function encodeTextChunk(keyword: string, text: string): Buffer {
  checkKeyword(keyword);
  const key = Buffer.from(keyword, 'latin1');
  if (isLatin1(text)) {
    return encodeChunk('tEXt', Buffer.concat([key, Buffer.from([0]), Buffer.from(text, 'latin1')]));
  }
  // iTXt: keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8.
  return encodeChunk('iTXt', Buffer.concat([key, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]));
}

function keywordOf(chunk: PngChunk): string | null {
  if (chunk.type !== 'tEXt' && chunk.type !== 'zTXt' && chunk.type !== 'iTXt') return null;
  const end = chunk.data.indexOf(0);
  return end < 0 ? null : chunk.data.toString('latin1', 0, end);
}

/**
 * Returns a copy of `png` with one text chunk per entry inserted before the first IDAT: tEXt for Latin-1
 * text, uncompressed UTF-8 iTXt for anything else. Existing text chunks with the same keywords are
 * dropped, so writing the parameters again replaces them rather than leaving two versions.
 */
export function addPngTextChunks(png: Buffer, entries: Record<string, string>): Buffer {
  const chunks = readPngChunks(png);
  const replaced = new Set(Object.keys(entries));
  const encoded = Object.entries(entries).map(([keyword, text]) => encodeTextChunk(keyword, text));
  const firstIdat = chunks.findIndex((chunk) => chunk.type === 'IDAT');
  if (firstIdat < 0) {
    throw damaged('This PNG image is damaged: it has no image data (IDAT chunk).', { reason: 'no_idat' });
  }
  const parts: Buffer[] = [PNG_SIGNATURE];
  chunks.forEach((chunk, index) => {
    if (index === firstIdat) parts.push(...encoded);
    const keyword = keywordOf(chunk);
    if (keyword !== null && replaced.has(keyword)) return;
    const end = chunk.offset + 12 + chunk.data.length;
    parts.push(png.subarray(chunk.offset, end));
  });
  return Buffer.concat(parts);
}

function inflateText(data: Buffer, chunk: string, keyword: string): Buffer {
  try {
    return zlib.inflateSync(data);
  } catch {
    throw damaged(`This PNG image is damaged: the compressed text "${keyword}" in its ${chunk} chunk cannot be read.`, {
      reason: 'inflate',
      chunk,
      keyword,
    });
  }
}

function decodeTextChunk(chunk: PngChunk): [string, string] {
  const { type, data } = chunk;
  const keywordEnd = data.indexOf(0);
  const bad = () =>
    damaged(`This PNG image is damaged: a ${type} text chunk at byte ${chunk.offset} is malformed.`, {
      reason: 'text_chunk',
      chunk: type,
      offset: chunk.offset,
    });
  if (keywordEnd < 1) throw bad();
  const keyword = data.toString('latin1', 0, keywordEnd);
  if (type === 'tEXt') return [keyword, data.toString('latin1', keywordEnd + 1)];
  if (type === 'zTXt') {
    if (keywordEnd + 2 > data.length || data[keywordEnd + 1] !== 0) throw bad();
    return [keyword, inflateText(data.subarray(keywordEnd + 2), type, keyword).toString('latin1')];
  }
  const compressed = data[keywordEnd + 1];
  const method = data[keywordEnd + 2];
  if (compressed === undefined || method === undefined || compressed > 1 || method !== 0) throw bad();
  const languageEnd = data.indexOf(0, keywordEnd + 3);
  if (languageEnd < 0) throw bad();
  const translatedEnd = data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw bad();
  const body = data.subarray(translatedEnd + 1);
  return [keyword, (compressed === 1 ? inflateText(body, type, keyword) : body).toString('utf8')];
}

/**
 * All text chunks of a PNG as keyword → text (tEXt, zTXt and iTXt, compressed or not). When a keyword
 * repeats, the last chunk wins. Throws `image_invalid` for anything that is not a whole, intact PNG.
 */
export function readPngTextChunks(png: Buffer): Record<string, string> {
  const texts = new Map<string, string>();
  for (const chunk of readPngChunks(png)) {
    if (chunk.type !== 'tEXt' && chunk.type !== 'zTXt' && chunk.type !== 'iTXt') continue;
    const [keyword, text] = decodeTextChunk(chunk);
    texts.set(keyword, text);
  }
  // fromEntries defines own properties, so a keyword like "__proto__" stays data.
  return Object.fromEntries(texts);
}
