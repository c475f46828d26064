import { useEffect, useRef } from 'react';
import type { GalleryItem } from '../../../src-preload/api';
import { easel } from '../../bridge';
import { useAppStore } from '../../stores/app-store';
import { PAGE_SIZE, useGalleryStore } from '../../stores/gallery-store';
import { useGenerateStore } from '../../stores/generate-store';
import { useJobsStore } from '../../stores/jobs-store';
import { formatDuration } from '../../../src-shared/format';
import { formatWeight } from '../../../src-shared/lora-tags';
import { schedulerLabels } from '../../../src-shared/schedulers';
import { providerLabels } from '../../provider-labels';
import { keepFocusInside } from '../focus-trap';
import { sendToCanvas, sendToImg2img, sendToUpscale } from '../send-to';
import { UpscalerSelect } from '../UpscalerSelect';
import { Icon } from '../Icon';
import { ImageNotes, PlaceholderBadge } from '../generate/ImageNotes';
import { fullImages, isSmall, useLoadedImage } from './images';

async function exportImage(item: GalleryItem): Promise<string | null> {
  if (useAppStore.getState().info?.host === 'web') {
    // A page cannot ask where to save: hand the browser the file as a download.
    let url: string;
    try {
      url = await fullImages.load(item.id);
    } catch (error) {
      return `Could not save the image: ${error instanceof Error ? error.message : String(error)}`;
    }
    const link = document.createElement('a');
    link.href = url;
    link.download = item.id;
    link.click();
    return null;
  }
  const result = await easel.gallery.export({ id: item.id });
  if (!result.ok) return `Could not save the image: ${result.error.message}`;
  return result.value.saved && result.value.path ? `Saved to ${result.value.path}` : null;
}

async function openFolder(): Promise<string> {
  const result = await easel.gallery.openFolder();
  if (!result.ok) return `Could not open the gallery folder: ${result.error.message}`;
  return result.value.opened ? 'Opened the gallery folder.' : `The images are in ${result.value.path}`;
}

async function copyPrompt(prompt: string): Promise<string> {
  try {
    await navigator.clipboard.writeText(prompt);
    return 'Prompt copied.';
  } catch {
    return 'Could not reach the clipboard: select the prompt and copy it by hand.';
  }
}

function Parameters({ item }: { item: GalleryItem }) {
  const { meta } = item;
  const created = new Date(item.createdAt);
  return (
    <dl className="parameters">
      <dt>Model</dt>
      <dd>
        {meta.modelName || meta.modelId}
        {meta.modelName && meta.modelName !== meta.modelId && <span className="dim"> ({meta.modelId})</span>}
      </dd>
      <dt>Size</dt>
      <dd>
        {item.width} × {item.height}
      </dd>
      <dt>Steps</dt>
      <dd>{meta.steps}</dd>
      <dt>Guidance</dt>
      <dd>{meta.guidance}</dd>
      <dt>Scheduler</dt>
      <dd>{schedulerLabels[meta.scheduler as keyof typeof schedulerLabels] ?? meta.scheduler}</dd>
      <dt>Seed</dt>
      <dd className="selectable">{meta.seed}</dd>
      {meta.loras !== undefined && meta.loras.length > 0 && (
        <>
          <dt>LoRAs</dt>
          <dd>
            <ul className="viewer-loras" aria-label="LoRAs used">
              {meta.loras.map((lora, index) => (
                <li key={`${lora.name}-${index}`} title={lora.hash ? `A1111 hash ${lora.hash}` : undefined}>
                  {lora.name} <span className="dim">at {formatWeight(lora.scale)}</span>
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {meta.strength !== undefined && (
        <>
          <dt>Strength</dt>
          <dd>
            {meta.strength} ({meta.maskBlur !== undefined ? 'inpaint' : 'img2img'})
          </dd>
        </>
      )}
      {meta.maskBlur !== undefined && (
        <>
          <dt>Inpaint</dt>
          <dd>
            {meta.inpaintArea === 'masked' ? `only the masked area, ${meta.maskPadding ?? 32} px padding` : 'whole picture'} · mask blur {meta.maskBlur}
            {meta.maskedContent ? ` · starts from ${meta.maskedContent}` : ''}
          </dd>
        </>
      )}
      {meta.outpaint && (
        <>
          <dt>Extended</dt>
          <dd>
            left {meta.outpaint.left}, top {meta.outpaint.top}, right {meta.outpaint.right}, bottom {meta.outpaint.bottom} px
          </dd>
        </>
      )}
      {meta.hiresScale !== undefined && (
        <>
          <dt>Hires fix</dt>
          <dd>
            ×{meta.hiresScale}
            {meta.hiresUpscaler ? ` with ${meta.hiresUpscaler}` : ''}, strength {meta.hiresStrength}
          </dd>
        </>
      )}
      {meta.upscale && (
        <>
          <dt>Upscaled</dt>
          <dd>
            ×{meta.upscale.scale} with {meta.upscale.upscaler}
          </dd>
        </>
      )}
      {meta.sourceImage && (
        <>
          <dt>Made from</dt>
          <dd className="file-name">
            <SourceLink id={meta.sourceImage} />
          </dd>
        </>
      )}
      <dt>Ran on</dt>
      <dd>{providerLabels[meta.provider]}</dd>
      <dt>Time</dt>
      <dd>
        {formatDuration(meta.timings.totalMs)}
        {meta.timings.perStepMs > 0 && <span className="dim"> · {formatDuration(meta.timings.perStepMs)} a step</span>}
      </dd>
      <dt>Created</dt>
      <dd>{Number.isNaN(created.getTime()) ? item.createdAt : created.toLocaleString()}</dd>
      <dt>File</dt>
      <dd className="selectable file-name">{item.id}</dd>
    </dl>
  );
}

/** The image an edit or upscale was made from: a link to it in the viewer when it is in the list, else its name. */
function SourceLink({ id }: { id: string }) {
  const index = useGalleryStore((state) => {
    for (const [page, items] of Object.entries(state.pages)) {
      const position = items.findIndex((item) => item.id === id);
      if (position >= 0) return Number(page) * PAGE_SIZE + position;
    }
    return null;
  });
  if (index === null) return <span className="selectable">{id}</span>;
  return (
    <button type="button" className="link" onClick={() => useGalleryStore.getState().openViewer(index)}>
      {id}
    </button>
  );
}

export function Viewer() {
  const index = useGalleryStore((state) => state.viewerIndex);
  const total = useGalleryStore((state) => state.total ?? 0);
  const item = useGalleryStore((state) => (state.viewerIndex === null ? undefined : state.itemAt(state.viewerIndex)));
  const { closeViewer, moveViewer, setFavourite, remove, showToast } = useGalleryStore.getState();
  const image = useLoadedImage(fullImages, item?.id ?? null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    return () => opener?.focus?.();
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const typing = event.target instanceof HTMLElement && event.target.closest('input, textarea, select');
      if (event.key === 'Escape') closeViewer();
      else if (typing) return;
      else if (event.key === 'ArrowRight' || event.key === 'ArrowDown') moveViewer(1);
      else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') moveViewer(-1);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [closeViewer, moveViewer]);

  if (index === null) return null;
  const say = (text: Promise<string | null>) => void text.then((message) => message && showToast({ text: message }));
  const applySettings = async (chosen: GalleryItem) => {
    await useGenerateStore.getState().applyParameters(chosen.meta, 'the gallery image');
    // The canvas would otherwise keep showing the last result, which has nothing to do with these settings.
    useJobsStore.getState().clearCanvas();
    closeViewer();
    useAppStore.getState().setScreen('generate');
  };
  /** Sends the image on; the viewer closes when it went, and says why when it did not. */
  const send = async (going: Promise<string | null>) => {
    const problem = await going;
    if (problem) showToast({ text: problem });
    else closeViewer();
  };

  return (
    <div className="viewer-backdrop" onClick={(event) => event.target === event.currentTarget && closeViewer()}>
      <div ref={dialog} className="viewer" role="dialog" aria-modal="true" aria-label="Image viewer" tabIndex={-1} onKeyDown={keepFocusInside}>
        <div className="viewer-image">
          {image.url ? (
            <img src={image.url} alt={item ? `Generated: ${item.meta.prompt}` : ''} className={item && isSmall(item) ? 'pixelated' : undefined} />
          ) : image.error ? (
            <p className="image-error">Could not load the image: {image.error}</p>
          ) : (
            <div className="viewer-loading">Loading…</div>
          )}
          {item?.meta.placeholder && <PlaceholderBadge />}
          <button type="button" className="viewer-nav previous" aria-label="Previous image" disabled={index === 0} onClick={() => moveViewer(-1)}>
            <Icon name="left" size={22} />
          </button>
          <button type="button" className="viewer-nav next" aria-label="Next image" disabled={index >= total - 1} onClick={() => moveViewer(1)}>
            <Icon name="right" size={22} />
          </button>
        </div>
        <aside className="viewer-side">
          <header className="viewer-header">
            <span className="dim">
              {index + 1} of {total.toLocaleString()}
            </span>
            <button type="button" className="icon-button" aria-label="Close viewer" title="Close (Esc)" onClick={closeViewer}>
              <Icon name="close" size={18} />
            </button>
          </header>
          {item ? (
            <>
              <div className="viewer-actions">
                <div className="viewer-action-row reuse">
                  <button type="button" className="primary" onClick={() => void applySettings(item)}>
                    <Icon name="reuse" size={16} /> Use these settings
                  </button>
                  <button type="button" onClick={() => void send(sendToImg2img(item))}>
                    <Icon name="image" size={16} /> Use as starting image
                  </button>
                </div>
                <div className="viewer-action-row">
                  <button type="button" onClick={() => void send(sendToCanvas(item))}>
                    <Icon name="canvas" size={16} /> Open on canvas
                  </button>
                  <button type="button" aria-pressed={item.favourite} className={item.favourite ? 'toggled' : ''} onClick={() => void setFavourite(item, !item.favourite)}>
                    <Icon name="star" size={16} filled={item.favourite} /> Favourite
                  </button>
                </div>
                <div className="viewer-action-row">
                  <UpscalerSelect />
                  <button type="button" onClick={() => void send(sendToUpscale(item, 2))}>
                    <Icon name="upscale" size={16} /> Upscale 2×
                  </button>
                  <button type="button" onClick={() => void send(sendToUpscale(item, 4))}>
                    <Icon name="upscale" size={16} /> Upscale 4×
                  </button>
                </div>
                <div className="viewer-action-row">
                  <button type="button" onClick={() => say(exportImage(item))}>
                    <Icon name="download" size={16} /> Save as…
                  </button>
                  <button type="button" onClick={() => say(openFolder())}>
                    <Icon name="image" size={16} /> Open folder
                  </button>
                </div>
                <div className="viewer-action-row">
                  <button type="button" className="danger" onClick={() => void remove(item)}>
                    <Icon name="trash" size={16} /> Delete
                  </button>
                </div>
              </div>
              <section className="viewer-prompt">
                <div className="field-label">
                  <h2>Prompt</h2>
                  <button type="button" className="link" onClick={() => say(copyPrompt(item.meta.prompt))}>
                    Copy prompt
                  </button>
                </div>
                <p className="selectable prompt-text">{item.meta.prompt || <span className="dim">(no prompt)</span>}</p>
                {item.meta.negativePrompt && (
                  <>
                    <h2>Negative prompt</h2>
                    <p className="selectable prompt-text">{item.meta.negativePrompt}</p>
                  </>
                )}
              </section>
              <Parameters item={item} />
              <ImageNotes meta={item.meta} />
            </>
          ) : (
            <p className="dim">Loading…</p>
          )}
        </aside>
      </div>
    </div>
  );
}
