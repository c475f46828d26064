import { create } from 'zustand';
import {
  setupSteps,
  type DownloadPlanSummary,
  type ErrorInfo,
  type HardwareReport,
  type JobSummary,
  type ModelSummary,
  type Recommendation,
  type Result,
  type SelfTestReport,
  type SetupStep,
} from '../../src-preload/api';
import { easel } from '../bridge';
import { useAppStore } from './app-store';

type Loadable<T> = { status: 'idle' | 'loading' } | { status: 'ready'; value: T } | { status: 'failed'; error: ErrorInfo };

export interface FirstImage {
  job: JobSummary;
  dataUrl: string | null;
}

interface SetupState {
  step: SetupStep;
  hardware: Loadable<{ report: HardwareReport; summary: string[] }>;
  selfTest: Loadable<SelfTestReport>;
  recommendation: Loadable<Recommendation>;
  models: Loadable<ModelSummary[]>;
  /** The model chosen in the wizard (saved in settings so a restart keeps it). */
  chosenId: string | null;
  plan: Loadable<DownloadPlanSummary>;
  /** A failed action on the download step (start, pause, cancel, import), shown beside its buttons. */
  actionError: ErrorInfo | null;
  busy: boolean;
  firstImage: FirstImage | null;
  firstImageError: ErrorInfo | null;

  start(): Promise<void>;
  goTo(step: SetupStep): Promise<void>;
  next(): Promise<void>;
  back(): Promise<void>;
  testHardware(force?: boolean): Promise<void>;
  loadModels(): Promise<void>;
  choose(id: string): Promise<void>;
  importFolder(path: string): Promise<boolean>;
  loadPlan(): Promise<void>;
  download(): Promise<void>;
  pause(): Promise<void>;
  cancel(): Promise<void>;
  /** Switches to the built-in demo (when a download failed or was skipped) and goes on to the first picture. */
  switchToDemo(): Promise<void>;
  makeFirstImage(prompt: string): Promise<void>;
  finish(): Promise<void>;
  skipSetup(): Promise<void>;
}

function loaded<T>(result: Result<T>): Loadable<T> {
  return result.ok ? { status: 'ready', value: result.value } : { status: 'failed', error: result.error };
}

function stepAfter(step: SetupStep, offset: 1 | -1): SetupStep {
  const index = setupSteps.indexOf(step) + offset;
  return setupSteps[Math.min(setupSteps.length - 1, Math.max(0, index))]!;
}

/** The model that ships with Easel, when it is here: the fallback while a real one is not downloaded. */
export function builtinModel(state: Pick<SetupState, 'models'>): ModelSummary | null {
  if (state.models.status !== 'ready') return null;
  return state.models.value.find((model) => model.origin === 'builtin' && model.state === 'installed') ?? null;
}

export function chosenModel(state: Pick<SetupState, 'models' | 'chosenId'>): ModelSummary | null {
  if (state.models.status !== 'ready' || state.chosenId === null) return null;
  return state.models.value.find((model) => model.id === state.chosenId) ?? null;
}

/** Setup's answers arrive on other channels than its events, so both update the same model in place. */
function replaceModel(models: Loadable<ModelSummary[]>, model: ModelSummary): Loadable<ModelSummary[]> {
  if (models.status !== 'ready') return models;
  const exists = models.value.some((candidate) => candidate.id === model.id);
  return {
    status: 'ready',
    value: exists ? models.value.map((candidate) => (candidate.id === model.id ? model : candidate)) : [...models.value, model],
  };
}

/** Events seen per model, so a late answer to "start" never undoes the "installed" an event already brought. */
const eventsSeen = new Map<string, number>();

export const useSetupStore = create<SetupState>((set, get) => {
  const save = (patch: Parameters<typeof easel.settings.update>[0]) => useAppStore.getState().updateSettings(patch);

  async function modelAction(call: () => Promise<Result<ModelSummary>>): Promise<boolean> {
    const id = get().chosenId;
    const before = id === null ? 0 : (eventsSeen.get(id) ?? 0);
    set({ busy: true, actionError: null });
    const result = await call();
    set({ busy: false });
    if (!result.ok) {
      set({ actionError: result.error });
      return false;
    }
    if ((eventsSeen.get(result.value.id) ?? 0) === before) set((state) => ({ models: replaceModel(state.models, result.value) }));
    return true;
  }

  return {
    step: 'welcome',
    hardware: { status: 'idle' },
    selfTest: { status: 'idle' },
    recommendation: { status: 'idle' },
    models: { status: 'idle' },
    chosenId: null,
    plan: { status: 'idle' },
    actionError: null,
    busy: false,
    firstImage: null,
    firstImageError: null,

    start: async () => {
      const settings = useAppStore.getState().settings;
      set({ step: settings?.setupStep ?? 'welcome', chosenId: settings?.setupModelId ?? null });
      // A wizard restored on a later step (first image, done) needs the list too, to find the chosen model.
      await get().loadModels();
    },

    goTo: async (step) => {
      set({ step, actionError: null });
      await save({ setupStep: step });
    },
    next: () => get().goTo(stepAfter(get().step, 1)),
    back: () => get().goTo(stepAfter(get().step, -1)),

    testHardware: async (force = false) => {
      set({ hardware: { status: 'loading' }, selfTest: { status: 'loading' }, recommendation: { status: 'loading' } });
      const request = force ? { force: true } : {};
      const hardware = await easel.system.hardware(request);
      set({ hardware: loaded(hardware) });
      // The recommendation runs (or reuses) the self-test; its report is then read without running again.
      const recommendation = await easel.system.recommendation(request);
      const selfTest = await easel.system.selfTest();
      set({ recommendation: loaded(recommendation), selfTest: loaded(selfTest) });
      if (recommendation.ok && get().chosenId === null) await get().choose(recommendation.value.modelId);
    },

    loadModels: async () => {
      if (get().models.status !== 'ready') set({ models: { status: 'loading' } });
      set({ models: loaded(await easel.models.list()) });
    },

    choose: async (id) => {
      set({ chosenId: id, plan: { status: 'idle' }, actionError: null });
      await save({ setupModelId: id });
    },

    importFolder: async (path) => {
      set({ busy: true, actionError: null });
      const result = await easel.models.import({ path, mode: 'reference' });
      set({ busy: false });
      if (!result.ok) {
        set({ actionError: result.error });
        return false;
      }
      set((state) => ({ models: replaceModel(state.models, result.value) }));
      await get().choose(result.value.id);
      return true;
    },

    loadPlan: async () => {
      const id = get().chosenId;
      if (id === null) return;
      set({ plan: { status: 'loading' } });
      set({ plan: loaded(await easel.models.plan({ id })) });
    },

    download: async () => {
      const id = get().chosenId;
      if (id !== null) await modelAction(() => easel.models.download({ id }));
    },
    pause: async () => {
      const id = get().chosenId;
      if (id !== null) await modelAction(() => easel.models.pause({ id }));
    },
    cancel: async () => {
      const id = get().chosenId;
      if (id !== null && (await modelAction(() => easel.models.cancel({ id })))) await get().loadPlan();
    },

    switchToDemo: async () => {
      const demo = builtinModel(get());
      if (demo === null) return;
      await get().choose(demo.id);
      await get().goTo('first-image');
    },

    makeFirstImage: async (prompt) => {
      const model = chosenModel(get());
      if (model === null) return;
      set({ firstImage: null, firstImageError: null });
      const { defaults } = model;
      const result = await easel.jobs.enqueue({
        modelId: model.id,
        prompt,
        steps: defaults.steps,
        guidance: defaults.guidance,
        width: defaults.width,
        height: defaults.height,
        scheduler: defaults.scheduler,
        preview: false,
      });
      if (!result.ok) return set({ firstImageError: result.error });
      set({ firstImage: { job: result.value, dataUrl: null } });
      await showFirstImage(latestJobs.get(result.value.id) ?? result.value);
    },

    finish: async () => {
      const id = get().chosenId;
      const saved = await save({ setupComplete: true, setupStep: 'welcome', setupModelId: null, ...(id === null ? {} : { lastModelId: id }) });
      // Unsaved, the wizard stays where it is; the banner says why.
      if (saved) set({ step: 'welcome', firstImage: null });
    },

    skipSetup: async () => {
      if (await save({ setupComplete: true, setupStep: 'welcome' })) set({ step: 'welcome' });
    },
  };
});

/** The newest summary of each job seen in events: a small job can finish before the answer to enqueue arrives. */
const latestJobs = new Map<string, JobSummary>();

/** Shows the first image once its job is done, read from the gallery; or why there is none. */
async function showFirstImage(job: JobSummary): Promise<void> {
  const current = useSetupStore.getState().firstImage;
  if (current === null || current.job.id !== job.id || current.dataUrl !== null) return;
  useSetupStore.setState({ firstImage: { job, dataUrl: null } });
  if (job.state === 'failed' || job.state === 'cancelled') {
    useSetupStore.setState({ firstImageError: job.error ?? { code: 'cancelled', message: 'The image was cancelled.' } });
    return;
  }
  const item = job.results[0];
  if (job.state !== 'done' || item === undefined) return;
  const image = await easel.gallery.image({ id: item.id });
  if (!image.ok) return useSetupStore.setState({ firstImageError: image.error });
  useSetupStore.setState({ firstImage: { job, dataUrl: image.value.dataUrl } });
}

/** While the wizard is open: download progress and the first image's job arrive as events. */
export function followSetupEvents(): () => void {
  const stopModels = easel.subscribe('models.changed', (model) => {
    eventsSeen.set(model.id, (eventsSeen.get(model.id) ?? 0) + 1);
    useSetupStore.setState((state) => ({ models: replaceModel(state.models, model) }));
  });
  const stopJobs = easel.subscribe('jobs.changed', (job) => {
    latestJobs.set(job.id, job);
    void showFirstImage(job);
  });
  return () => {
    stopModels();
    stopJobs();
  };
}
