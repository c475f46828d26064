import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { modelIdSchema, type ModelSummary } from '../../src-preload/api';
import { EaselError } from '../core/errors';
import { readModelFolder } from '../core/models/model-folder';
import type { ModelsService } from '../core/models/models-service';
import type { GenerationModel } from '../core/pipeline/types';

export type ModelDefaults = ModelSummary['defaults'];

/** What `--model` named, ready for the pipeline, and the settings used where a flag is absent. */
export interface ModelChoice {
  model: GenerationModel;
  defaults: ModelDefaults;
}

/** For a folder Easel knows nothing about: the steps, guidance and scheduler most SD models draw well with. */
const FOLDER_DEFAULTS = { scheduler: 'euler-a', steps: 20, guidance: 7.5 } as const;

/**
 * The model `--model` names: an id Easel knows (built in, downloaded or imported, as `easel models list` prints
 * them), else a model folder. A folder that holds a model Easel knows is that model, with its catalog defaults
 * and schedulers; any other folder runs at its UNet's native size.
 */
export async function chooseModel(value: string, models: ModelsService | undefined): Promise<ModelChoice> {
  const looksLikeId = !value.includes('/') && !value.includes(path.sep) && modelIdSchema.safeParse(value).success;
  if (models !== undefined && looksLikeId) {
    const summary = await models.get(value).catch((error: unknown) => {
      if (error instanceof EaselError && error.code === 'not_found') return null;
      throw error;
    });
    if (summary !== null) return installedModel(summary, models);
  }
  const dir = path.resolve(value);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new EaselError(
      'not_found',
      `--model: ${JSON.stringify(value)} is neither a model id (see \`easel models list\`) nor a model folder.`,
      { field: 'model' },
    );
  }
  const known = models === undefined ? undefined : await installedIn(dir, models);
  if (known !== undefined) return installedModel(known, models!);
  const folder = await readModelFolder(dir);
  return {
    model: { id: folder.dir, name: folder.name, folder },
    defaults: { ...FOLDER_DEFAULTS, width: folder.nativeSize.width, height: folder.nativeSize.height },
  };
}

async function installedModel(summary: ModelSummary, models: ModelsService): Promise<ModelChoice> {
  if (summary.state !== 'installed') {
    const what = summary.state === 'available' ? 'is not downloaded yet' : `is not ready to use (${summary.state.replace('-', ' ')})`;
    const next = summary.origin === 'catalog' ? `Run \`easel models download ${summary.id}\` first.` : `Run \`easel models verify ${summary.id}\`.`;
    throw new EaselError('not_found', `--model: ${summary.name} ${what}. ${next}`, {
      field: 'model',
      id: summary.id,
      state: summary.state,
    });
  }
  const model = await models.resolveForGeneration(summary.id);
  // An imported model has no catalog entry; its size is its UNet's.
  const { width, height } = model.folder.nativeSize;
  const defaults = summary.origin === 'imported' ? { ...FOLDER_DEFAULTS, width, height } : summary.defaults;
  return { model, defaults };
}

/** The installed model whose folder `dir` is, if any. */
async function installedIn(dir: string, models: ModelsService): Promise<ModelSummary | undefined> {
  const real = await realpath(dir);
  for (const installed of await (await models.store()).list()) {
    if ((await realpath(installed.dir).catch(() => null)) === real) return models.get(installed.id);
  }
  return undefined;
}
