/** Settings: what a person chooses, saved by the core and changed one patch at a time. */
import { z } from 'zod';
import { absolutePath, providerChoiceSchema } from './common';

export const themeSchema = z.enum(['system', 'light', 'dark']);

/** The first-run wizard's steps, in order; the current one is saved so a restart resumes there. */
export const setupSteps = ['welcome', 'hardware', 'model', 'download', 'first-image', 'done'] as const;
export const setupStepSchema = z.enum(setupSteps);
export type SetupStep = z.infer<typeof setupStepSchema>;

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

const settingsFields = {
  galleryDir: absolutePath.nullable(),
  modelsDir: absolutePath.nullable(),
  loraDir: absolutePath.nullable(),
  embeddingDir: absolutePath.nullable(),
  hubEndpoint: z.url({ protocol: /^https?$/ }),
  hubToken: z.string().max(512),
  preferredProvider: providerChoiceSchema,
  theme: themeSchema,
  setupComplete: z.boolean(),
  lastModelId: z.string().nullable(),
  setupStep: setupStepSchema,
  /** The model chosen in the setup wizard, kept until setup is done. */
  setupModelId: z.string().min(1).nullable(),
};

export const settingsSchema = z.object({
  galleryDir: settingsFields.galleryDir.default(null),
  modelsDir: settingsFields.modelsDir.default(null),
  loraDir: settingsFields.loraDir.default(null),
  embeddingDir: settingsFields.embeddingDir.default(null),
  hubEndpoint: settingsFields.hubEndpoint.default(DEFAULT_HUB_ENDPOINT),
  hubToken: settingsFields.hubToken.default(''),
  preferredProvider: settingsFields.preferredProvider.default('auto'),
  theme: settingsFields.theme.default('system'),
  setupComplete: settingsFields.setupComplete.default(false),
  lastModelId: settingsFields.lastModelId.default(null),
  setupStep: settingsFields.setupStep.default('welcome'),
  setupModelId: settingsFields.setupModelId.default(null),
});
export type Settings = z.output<typeof settingsSchema>;

/** What the renderer sees: the access token never leaves the main process, only whether one is set. */
export type PublicSettings = Omit<Settings, 'hubToken'> & { hubTokenSet: boolean };

/** Only the fields named change; no defaults are filled in, or a patch would reset the rest. */
const patchOf = <T extends z.ZodRawShape>(fields: T) =>
  z
    .object(fields)
    .partial()
    .strict()
    .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to change' });

/** Any field, for the core's own writes: the folders arrive here only through settings.chooseFolder. */
export const storedSettingsPatchSchema = patchOf(settingsFields);
export type StoredSettingsPatch = z.input<typeof storedSettingsPatchSchema>;

/**
 * What a page may change. Not the folders: a page that could name them could make Easel read, write
 * and delete anywhere; the person chooses them (settings.chooseFolder).
 */
const { galleryDir: _gallery, modelsDir: _models, loraDir: _loras, embeddingDir: _embeddings, ...pageSettingsFields } = settingsFields;
export const settingsPatchSchema = patchOf(pageSettingsFields);
export type SettingsPatch = z.input<typeof settingsPatchSchema>;

/** The folders a person chooses: where images, models, LoRAs and embeddings live. */
export const folderKinds = ['gallery', 'models', 'loras', 'embeddings'] as const;
export type FolderKind = (typeof folderKinds)[number];

/**
 * Changes one of the folders. In the desktop app main shows a folder dialog and `path` is
 * ignored; over the web host `path` names a folder that is empty or already Easel's, and `confirmed`
 * says the person agreed in the UI.
 */
export const chooseFolderRequest = z
  .object({ which: z.enum(folderKinds), path: absolutePath.optional(), confirmed: z.literal(true).optional() })
  .strict();
