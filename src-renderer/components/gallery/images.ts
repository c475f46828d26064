import { useEffect, useState } from 'react';
import { easel } from '../../bridge';
import { ImageLoader } from './lru-cache';

async function dataUrlOf(result: Promise<Awaited<ReturnType<typeof easel.gallery.image>>>): Promise<string> {
  const response = await result;
  if (!response.ok) throw new Error(response.error.message);
  return response.value.dataUrl;
}

/** Grid thumbnails: a few screens' worth stay in memory. */
export const thumbnails = new ImageLoader(400, (id) => dataUrlOf(easel.gallery.thumbnail({ id })));

/** Full images for the viewer and the Generate canvas: large, so only a handful. */
export const fullImages = new ImageLoader(12, (id) => dataUrlOf(easel.gallery.image({ id })));

/** An image from a loader for as long as the component shows `id`; `delayMs` skips ids scrolled past quickly. */
export function useLoadedImage(
  loader: ImageLoader,
  id: string | null,
  delayMs = 0,
): { url: string | null; error: string | null } {
  const [state, setState] = useState<{ id: string | null; url: string | null; error: string | null }>(() => ({
    id,
    url: id ? (loader.cached(id) ?? null) : null,
    error: null,
  }));
  useEffect(() => {
    if (!id) return;
    const hit = loader.cached(id);
    if (hit) {
      setState({ id, url: hit, error: null });
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      loader.load(id).then(
        (url) => live && setState({ id, url, error: null }),
        (error: Error) => live && setState({ id, url: null, error: error.message }),
      );
    }, delayMs);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [loader, id, delayMs]);
  if (state.id === id) return { url: state.url, error: state.error };
  return { url: id ? (loader.cached(id) ?? null) : null, error: null };
}

/**
 * Up to this size an image is always shown larger than it is (canvas, viewer, grid cells), where pixelated
 * scaling keeps it sharp instead of blurred; larger ones are shown smaller and scale smoothly.
 */
export function isSmall(size: { width: number; height: number }): boolean {
  return Math.max(size.width, size.height) <= 256;
}
