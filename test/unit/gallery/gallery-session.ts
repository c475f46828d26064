import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ImageMetadata } from '../../../src-preload/api';
import { EaselError } from '../../../src-main/core/errors';
import { Gallery, type GalleryEntry } from '../../../src-main/core/gallery/gallery';
import { imageMeta } from './fixtures';

/** A gallery in a fresh temp folder per test, closed and removed after it. */

export const WIDTH = 64;
export const HEIGHT = 48;
export const NOW = Date.parse('2026-11-24T15:30:12Z');

export function pixels(seed: number): Uint8Array {
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + seed * 31) & 0xff;
  return rgb;
}

export async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<EaselError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe(code);
    return error as EaselError;
  }
  throw new Error(`expected an EaselError with code ${code}`);
}

export interface GallerySession {
  /** The gallery folder of the running test. */
  dir: string;
  open(clock?: () => number): Promise<Gallery>;
  save(gallery: Gallery, overrides?: Partial<ImageMetadata>, seed?: number): Promise<GalleryEntry>;
}

export function useGallerySession(): GallerySession {
  const opened: Gallery[] = [];
  const session: GallerySession = {
    dir: '',
    async open(clock = () => NOW) {
      const gallery = await Gallery.open({ dir: session.dir, clock, indexWriteDelayMs: 10 });
      opened.push(gallery);
      return gallery;
    },
    save: (gallery, overrides = {}, seed = 1) => gallery.save(pixels(seed), WIDTH, HEIGHT, imageMeta(overrides)),
  };
  beforeEach(async () => {
    session.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'easel-gallery-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((gallery) => gallery.close()));
    await fs.rm(session.dir, { recursive: true, force: true });
  });
  return session;
}
