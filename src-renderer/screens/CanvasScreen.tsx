import { useEffect, useRef, type ChangeEvent } from 'react';
import { CanvasPanel } from '../components/canvas/CanvasPanel';
import { CanvasStage } from '../components/canvas/CanvasStage';
import type { MaskLayer } from '../components/canvas/mask-layer';
import { Icon } from '../components/Icon';
import { ACCEPT, readImageFile } from '../components/generate/image-files';
import { useAppStore } from '../stores/app-store';
import { useCanvasStore } from '../stores/canvas-store';
import { useGenerateStore } from '../stores/generate-store';
import '../styles/generate.css';
import '../styles/canvas.css';

/** The size a picked file decodes to: the canvas and the request need it before the core sees the file. */
function decodedSize(url: string): Promise<{ width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
    image.onerror = () => reject(new Error('The file could not be read as a picture.'));
    image.src = url;
  });
}

async function openFile(event: ChangeEvent<HTMLInputElement>): Promise<void> {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file) return;
  try {
    const image = await readImageFile(file);
    const size = await decodedSize(image.url);
    useCanvasStore.getState().openImage({ id: null, url: image.url, ...size, prompt: '', negativePrompt: '' });
  } catch (error) {
    useCanvasStore.getState().update({ message: (error as Error).message });
  }
}

function NoPicture() {
  const setScreen = useAppStore((state) => state.setScreen);
  const message = useCanvasStore((state) => state.message);
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <div className="stage">
      <div className="empty-state">
        <Icon name="canvas" size={40} />
        <h2>Nothing on the canvas yet</h2>
        <p>Send a picture here with “Open on canvas” in the gallery viewer or “Send to: Canvas” under a result on Generate; or open a file.</p>
        <div className="empty-actions">
          <button type="button" className="primary" onClick={() => setScreen('gallery')}>
            Open the gallery
          </button>
          <button type="button" onClick={() => fileInput.current?.click()}>
            Open a file…
          </button>
          <input ref={fileInput} type="file" accept={ACCEPT} hidden aria-label="Picture to open" onChange={(event) => void openFile(event)} />
        </div>
        {message && (
          <p className="image-error" role="alert">
            {message}
          </p>
        )}
      </div>
    </div>
  );
}

/** Inpaint, outpaint and upscale one picture: the settings on the left, the picture and its mask on the right. */
export function CanvasScreen() {
  const image = useCanvasStore((state) => state.image);
  const modelId = useCanvasStore((state) => state.modelId);
  const models = useGenerateStore((state) => state.models);
  const modelsLoaded = useGenerateStore((state) => state.modelsLoaded);
  const formModelId = useGenerateStore((state) => state.modelId);
  const layerRef = useRef<MaskLayer | null>(null);

  useEffect(() => {
    if (!modelsLoaded) void useGenerateStore.getState().loadModels();
  }, [modelsLoaded]);

  // Edits start with the model the Generate form uses, until one is chosen here.
  useEffect(() => {
    if (modelId === null && models.length > 0) useCanvasStore.getState().update({ modelId: formModelId ?? models[0]!.id });
  }, [modelId, models, formModelId]);

  const submit = () => {
    const layer = layerRef.current;
    void useCanvasStore.getState().edit(layer && !layer.isEmpty() ? layer.toPng() : null);
  };
  const submitRef = useRef(submit);
  submitRef.current = submit;

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        // A number box applies its value on blur: leaving it first makes the shortcut use what was typed.
        const active = document.activeElement;
        if (active instanceof HTMLElement) active.blur();
        submitRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="generate-screen canvas-screen">
      <h1 className="visually-hidden">Canvas</h1>
      <CanvasPanel onSubmit={submit} />
      <section className="workspace" aria-label="Canvas">
        {image ? <CanvasStage key={image.url} image={image} layerRef={layerRef} /> : <NoPicture />}
      </section>
    </div>
  );
}
