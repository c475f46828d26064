import type { ImageMetadata } from '../../src-preload/api';

/**
 * One finished image: tightly packed RGB bytes (row-major, HxWx3) and what made it. Made by the pipeline and
 * the placeholder renderer, saved by the gallery.
 */
export interface GeneratedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  metadata: ImageMetadata;
}
