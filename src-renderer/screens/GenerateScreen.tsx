import { useEffect, useState } from 'react';
import { easel } from '../bridge';
import { Canvas } from '../components/generate/Canvas';
import { sourceLabels } from '../components/generate/format';
import { generateNow, GenerateForm } from '../components/generate/GenerateForm';
import { Icon } from '../components/Icon';
import { carriesFiles, carriesGalleryImage, draggedFile, draggedGalleryImage, readImageFile } from '../components/generate/image-files';
import { JobQueue } from '../components/generate/JobQueue';
import { promptLoras, withLora } from '../../src-shared/lora-tags';
import { useAdaptersStore } from '../stores/adapters-store';
import { useAppStore } from '../stores/app-store';
import { followModelChanges, useGenerateStore } from '../stores/generate-store';
import { followJobs } from '../stores/jobs-store';
import '../styles/generate.css';

/** Files a person drops to install as LoRAs or embeddings; pickles go the same way so Easel can say why it refuses them. */
const ADAPTER_FILE = /\.(safetensors|ckpt|pt|pth|bin)$/i;
const PICKLE_FILE = /\.(ckpt|pt|pth|bin)$/i;

/** Installs dropped LoRAs and embeddings and says what came of it; a LoRA is one click from the prompt. */
async function importDroppedAdapters(files: File[]): Promise<void> {
  const store = useGenerateStore.getState();
  // A pickle is refused by its name alone: its first bytes are enough to ask, however large the file.
  const sent = files.map((file) => (PICKLE_FILE.test(file.name) ? new File([file.slice(0, 16)], file.name) : file));
  const installed = await useAdaptersStore.getState().importFiles(sent);
  const failure = useAdaptersStore.getState().error;
  // The notice says it; the picker need not say it again.
  useAdaptersStore.getState().dismissError();
  if (installed.length === 0) {
    store.setNotice({ tone: 'warning', text: failure?.message ?? 'Nothing was installed.' });
    return;
  }
  const names = installed.map((adapter) => `${adapter.name} (${adapter.kind === 'lora' ? 'LoRA' : 'embedding'})`).join(', ');
  const firstLora = installed.find((adapter) => adapter.kind === 'lora');
  const missed = installed.length < files.length && failure ? ` ${failure.message}` : '';
  store.setNotice({
    tone: missed ? 'warning' : 'info',
    text: `Installed ${names}.${missed}`,
    ...(firstLora
      ? {
          action: {
            label: `Add ${firstLora.name} to the prompt`,
            run: () => {
              const state = useGenerateStore.getState();
              // A LoRA the prompt names already keeps the weight it has.
              if (!promptLoras(state.prompt).some((lora) => lora.name === firstLora.name)) {
                state.update({ prompt: withLora(state.prompt, firstLora.name, 1) });
              }
              state.setNotice(null);
            },
          },
        }
      : {}),
  });
}

/**
 * A dropped PNG that carries settings (Easel, A1111, ComfyUI, InvokeAI) loads them into the form; any
 * other image becomes the img2img starting image.
 */
async function loadDroppedFile(file: File): Promise<void> {
  const store = useGenerateStore.getState();
  try {
    const image = await readImageFile(file);
    if (image.isPng) {
      const result = await easel.gallery.readParameters({ data: image.data });
      if (result.ok && Object.keys(result.value).some((key) => key !== 'source')) {
        const { source, ...parameters } = result.value;
        await store.applyParameters(parameters, `"${file.name}" (made with ${sourceLabels[source]})`);
        return;
      }
    }
    store.setInitImage(image);
    store.setNotice({ tone: 'info', text: `"${file.name}" has no generation settings, so it is now the image to start from (img2img).` });
  } catch (error) {
    store.setNotice({ tone: 'warning', text: (error as Error).message });
  }
}

export function GenerateScreen() {
  const notice = useGenerateStore((state) => state.notice);
  const setNotice = useGenerateStore((state) => state.setNotice);
  const loadModels = useGenerateStore((state) => state.loadModels);

  // The first choice of model is the last one used, so the list waits for the settings (or their failure).
  const settingsRead = useAppStore((state) => state.settings !== null || state.error !== null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    followJobs();
    return followModelChanges();
  }, []);

  useEffect(() => {
    if (settingsRead) void loadModels();
  }, [settingsRead, loadModels]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void generateNow();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div
      className={dragging ? 'generate-screen dragging' : 'generate-screen'}
      onDragOver={(event) => {
        if (!carriesFiles(event.dataTransfer) && !carriesGalleryImage(event.dataTransfer)) return;
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        const galleryImage = draggedGalleryImage(event.dataTransfer);
        if (galleryImage) {
          void useGenerateStore.getState().startFromGalleryImage(galleryImage.id, galleryImage.prompt);
          return;
        }
        const adapters = Array.from(event.dataTransfer.files).filter((file) => ADAPTER_FILE.test(file.name));
        if (adapters.length > 0) {
          void importDroppedAdapters(adapters);
          return;
        }
        const file = draggedFile(event.dataTransfer);
        if (file) void loadDroppedFile(file);
      }}
    >
      <h1 className="visually-hidden">Generate</h1>
      <GenerateForm />
      <section className="workspace" aria-label="Result">
        {notice && (
          <div className={`notice ${notice.tone}`} role="status">
            <span>{notice.text}</span>
            {notice.action && (
              <button type="button" className="link notice-action" onClick={notice.action.run}>
                {notice.action.label}
              </button>
            )}
            <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <Icon name="close" size={16} />
            </button>
          </div>
        )}
        <Canvas />
        <JobQueue />
      </section>
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop a gallery image to start from it, a PNG to load its settings, any image to start from it, or .safetensors LoRAs and embeddings to install them</p>
        </div>
      )}
    </div>
  );
}
