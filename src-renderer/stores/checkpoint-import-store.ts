import { create } from 'zustand';
import type { ErrorInfo, ImportProgress, ModelSummary } from '../../src-preload/api';
import { easel } from '../bridge';
import { useModelsStore } from './models-store';

/** One checkpoint this window is importing or has imported; it stays on screen until dismissed. */
export interface CheckpointImportTask {
  importId: string;
  fileName: string;
  sizeBytes: number;
  /** The core's last word on the stages; null until the first one arrives. */
  progress: ImportProgress | null;
  state: 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';
  model: ModelSummary | null;
  error: ErrorInfo | null;
}

interface CheckpointImportState {
  /** Newest first. */
  tasks: CheckpointImportTask[];
  start(file: File): Promise<void>;
  cancel(importId: string): Promise<void>;
  dismiss(importId: string): void;
  applyProgress(progress: ImportProgress): void;
}

/** Formats that are pickles: named here so the person learns why without sending gigabytes first. */
const PICKLE_EXTENSIONS = /\.(ckpt|pt|pth|bin|pkl)$/i;

function refusalFor(fileName: string): ErrorInfo | null {
  if (/\.safetensors$/i.test(fileName)) return null;
  if (PICKLE_EXTENSIONS.test(fileName)) {
    return {
      code: 'model_unsafe',
      message: `${fileName} is a PyTorch pickle: loading one can run any code, so Easel never opens it. Download the .safetensors version of this model instead.`,
    };
  }
  return { code: 'invalid_request', message: `${fileName} is not a .safetensors checkpoint. Easel imports single-file .safetensors checkpoints here.` };
}

function newImportId(): string {
  return `import-${crypto.randomUUID()}`;
}

export const useCheckpointImportStore = create<CheckpointImportState>((set, get) => {
  const update = (importId: string, patch: Partial<CheckpointImportTask>) =>
    set((state) => ({ tasks: state.tasks.map((task) => (task.importId === importId ? { ...task, ...patch } : task)) }));

  return {
    tasks: [],

    start: async (file) => {
      const importId = newImportId();
      const refusal = refusalFor(file.name);
      const task: CheckpointImportTask = {
        importId,
        fileName: file.name,
        sizeBytes: file.size,
        progress: null,
        state: refusal ? 'failed' : 'running',
        model: null,
        error: refusal,
      };
      set((state) => ({ tasks: [task, ...state.tasks] }));
      if (refusal) return;
      // Followed for as long as it runs, whichever screen shows meanwhile.
      const stopFollowing = easel.subscribe('models.importProgress', (progress) => {
        if (progress.importId === importId) get().applyProgress(progress);
      });
      const result = await easel.models
        .importCheckpoint({ importId, fileName: file.name, size: file.size }, file)
        .finally(stopFollowing);
      // A cancelled upload's connection is cut, so its answer may be only a network error: the cancel said it all.
      if (get().tasks.find((task) => task.importId === importId)?.state === 'cancelled') return;
      if (result.ok) {
        useModelsStore.getState().apply(result.value);
        update(importId, { state: 'done', model: result.value });
      } else {
        update(importId, { state: result.error.code === 'cancelled' ? 'cancelled' : 'failed', error: result.error });
      }
    },

    cancel: async (importId) => {
      update(importId, { state: 'cancelling' });
      const result = await easel.models.cancelImport({ importId });
      const stillRunning = (state: CheckpointImportTask['state']) => state === 'running' || state === 'cancelling';
      const task = get().tasks.find((candidate) => candidate.importId === importId);
      if (!task || !stillRunning(task.state)) return;
      // Stopped: nothing was kept. Not running any more (it ended on its own meanwhile): its own answer says how.
      if (result.ok && result.value.cancelled) update(importId, { state: 'cancelled', error: null });
      else if (!result.ok) update(importId, { state: 'running' });
    },

    dismiss: (importId) => set((state) => ({ tasks: state.tasks.filter((task) => task.importId !== importId) })),

    applyProgress: (progress) =>
      set((state) => ({
        tasks: state.tasks.map((task) => (task.importId === progress.importId && task.state !== 'done' ? { ...task, progress } : task)),
      })),
  };
});
