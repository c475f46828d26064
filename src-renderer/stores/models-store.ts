import { create } from 'zustand';
import type { DownloadPlanSummary, ErrorInfo, ModelSummary, Result, VerifySummary } from '../../src-preload/api';
import { easel } from '../bridge';
import { formatProgress } from '../../src-shared/format';
import { useAppStore } from './app-store';
import { useGenerateStore } from './generate-store';

export type ModelAction = 'download' | 'pause' | 'cancel' | 'remove' | 'verify' | 'use';

interface ModelsState {
  models: ModelSummary[];
  /** The list's own state: the first load, or why it could not be read. */
  status: 'loading' | 'ready' | 'failed';
  loadError: ErrorInfo | null;
  /** Which action is in flight per model, so its buttons can wait. */
  busy: Record<string, ModelAction>;
  /** The last failed action per model, shown on its card. */
  actionErrors: Record<string, ErrorInfo>;
  verifyResults: Record<string, VerifySummary>;
  load(): Promise<void>;
  apply(model: ModelSummary): void;
  plan(id: string): Promise<Result<DownloadPlanSummary>>;
  download(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  cancel(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  verify(id: string): Promise<void>;
  use(id: string): Promise<void>;
  importFolder(path: string, mode: 'copy' | 'reference'): Promise<Result<ModelSummary>>;
}

/**
 * How many `models.changed` events each model has had. A call's answer and the events it causes travel
 * on different connections, so an answer is only applied when no event overtook it (a small download
 * can finish, and say so, before the answer to "start" arrives).
 */
const eventsSeen = new Map<string, number>();

/**
 * The core drops a download's figures once it is paused; the last ones this window saw still say where
 * it stopped ("Paused at 1.2 of 2.6 GB"), which is what a person wants to read on the card.
 */
function keepPausedFigures(model: ModelSummary, previous: ModelSummary | undefined): ModelSummary {
  const last = previous?.download;
  if (model.state !== 'paused' || model.download || !last || last.totalBytes === 0) return model;
  const message = `Paused at ${formatProgress(last.bytes, last.totalBytes)}`;
  return { ...model, download: { ...last, state: 'paused', bytesPerSecond: 0, etaSeconds: null, message, error: null } };
}

/**
 * The model Generate draws with, if the list holds it installed: `chosenId` is Generate's choice once it has
 * loaded the list, else the one Settings remembers (which outlives a removed model).
 */
export function modelInUse(models: readonly ModelSummary[], chosenId: string | null): string | null {
  return models.some((model) => model.id === chosenId && model.state === 'installed') ? chosenId : null;
}

/** The model in use first, the others in the core's order. */
export function inUseFirst(models: readonly ModelSummary[], inUseId: string | null): ModelSummary[] {
  const inUse = models.filter((model) => model.id === inUseId);
  return [...inUse, ...models.filter((model) => model.id !== inUseId)];
}

function without<T>(record: Record<string, T>, id: string): Record<string, T> {
  const rest = { ...record };
  delete rest[id];
  return rest;
}

export const useModelsStore = create<ModelsState>((set, get) => {
  /** Runs one action for one model: marks it busy, clears its old error, records a new one. */
  async function run<T>(id: string, action: ModelAction, call: () => Promise<Result<T>>): Promise<Result<T>> {
    set((state) => ({
      busy: { ...state.busy, [id]: action },
      actionErrors: without(state.actionErrors, id),
      verifyResults: action === 'verify' ? state.verifyResults : without(state.verifyResults, id),
    }));
    const result = await call();
    set((state) => ({
      busy: without(state.busy, id),
      ...(result.ok ? {} : { actionErrors: { ...state.actionErrors, [id]: result.error } }),
    }));
    return result;
  }

  /** Applies a call's answer about a model unless an event about it arrived while the call ran. */
  async function runAndApply(id: string, action: ModelAction, call: () => Promise<Result<ModelSummary>>): Promise<void> {
    const seen = eventsSeen.get(id) ?? 0;
    const result = await run(id, action, call);
    if (result.ok && (eventsSeen.get(id) ?? 0) === seen) get().apply(result.value);
  }

  return {
    models: [],
    status: 'loading',
    loadError: null,
    busy: {},
    actionErrors: {},
    verifyResults: {},

    load: async () => {
      set((state) => ({ status: state.models.length > 0 ? state.status : 'loading', loadError: null }));
      const result = await easel.models.list();
      if (!result.ok) return set({ status: 'failed', loadError: result.error });
      set({ models: result.value, status: 'ready' });
    },

    apply: (model) =>
      set((state) => {
        const index = state.models.findIndex((candidate) => candidate.id === model.id);
        if (index === -1) return { models: [...state.models, model] };
        const models = [...state.models];
        models[index] = keepPausedFigures(model, state.models[index]);
        return { models };
      }),

    plan: (id) => easel.models.plan({ id }),
    download: (id) => runAndApply(id, 'download', () => easel.models.download({ id })),
    pause: (id) => runAndApply(id, 'pause', () => easel.models.pause({ id })),
    cancel: (id) => runAndApply(id, 'cancel', () => easel.models.cancel({ id })),

    remove: async (id) => {
      const result = await run(id, 'remove', () => easel.models.remove({ id }));
      if (!result.ok) return;
      // An imported model has nothing to fall back to: it leaves the list.
      if (result.value === null) set((state) => ({ models: state.models.filter((model) => model.id !== id) }));
      else get().apply(result.value);
    },

    verify: async (id) => {
      const result = await run(id, 'verify', () => easel.models.verify({ id }));
      if (result.ok) set((state) => ({ verifyResults: { ...state.verifyResults, [id]: result.value } }));
    },

    use: async (id) => {
      set((state) => ({ busy: { ...state.busy, [id]: 'use' } }));
      const saved = await useAppStore.getState().updateSettings({ lastModelId: id });
      // Generate picks the model before it shows, so it never opens on the previous one.
      if (saved) await useGenerateStore.getState().loadModels(id);
      set((state) => ({ busy: without(state.busy, id) }));
      if (saved) useAppStore.getState().setScreen('generate');
    },

    importFolder: async (path, mode) => {
      const result = await easel.models.import({ path, mode });
      if (result.ok) get().apply(result.value);
      return result;
    },
  };
});

/** Progress and state changes pushed by the core (this window's actions, the CLI, another window). */
export function followModelChanges(): () => void {
  return easel.subscribe('models.changed', (model) => {
    eventsSeen.set(model.id, (eventsSeen.get(model.id) ?? 0) + 1);
    useModelsStore.getState().apply(model);
  });
}
