import { appVersion, findAppRoot } from './app-root';
import path from 'node:path';
import { runAdaptersCommand } from './cli/adapters';
import { runDoctorCommand } from './cli/doctor';
import { runGenerateCommand } from './cli/generate';
import { runModelsCommand } from './cli/models';
import { childMessageStream, runInChild } from './cli/native-output';
import { runUpscaleCommand } from './cli/upscale';
import { type AppPaths, currentPathEnvironment, embeddingDir, loraDir, modelsDir, resolveAppPaths } from './core/app-paths';
import { DEMO_MODEL_ID } from './core/models/catalog';
import { ModelsService } from './core/models/models-service';
import { SettingsStore } from './core/settings/settings-store';
import type { Settings } from '../src-preload/api';

const usage = `Easel — generate images from text, locally.

Usage: npm run easel -- COMMAND [options]

Commands:
  generate    make images with a model, by id or folder (easel generate --help)
  upscale     enlarge a picture 2× or 4× with an upscaler model or Lanczos (easel upscale --help)
  models      list, download, verify, remove and import models (easel models --help)
  loras       list, import and remove LoRAs (easel loras --help)
  embeddings  list, import and remove textual-inversion embeddings (easel embeddings --help)
  doctor      what hardware Easel sees, which execution providers work, what to run (easel doctor --help)
  --version   print Easel's version
`;

/** The commands that load ONNX models, whose native libraries write to stderr (cli/native-output.ts). */
const MODEL_COMMANDS = new Set(['generate', 'upscale', 'doctor']);

/** Importing a checkpoint loads the converted models too, to generate its test image. */
function loadsModels(command: string, rest: string[]): boolean {
  return MODEL_COMMANDS.has(command) || (command === 'models' && rest[0] === 'import' && rest.some((arg) => /\.safetensors$/i.test(arg)));
}

/** `easel …`: the same core as the app, without a window. */
/** Easel's own stderr when this process is the child of runInChild; null otherwise. */
const messages = childMessageStream(process.env);

/** The models the user's settings point at, read once for one command: nothing here changes them. */
function cliModelsService(paths: AppPaths, settings: Settings): ModelsService {
  return new ModelsService({
    modelsDir: async () => modelsDir(paths, settings),
    builtinModelsDir: paths.builtinModels,
    settings: async () => settings,
    env: process.env,
    onChange: () => undefined,
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (messages === null && command !== undefined && loadsModels(command, rest) && !rest.includes('--help') && !rest.includes('-h')) {
    return runInChild(argv, process.env, process.stderr);
  }
  const appRoot = findAppRoot();
  const paths = resolveAppPaths(currentPathEnvironment(appRoot, false));
  const stderr = messages ?? process.stderr;
  const io = { stdout: process.stdout, stderr, env: process.env };
  switch (command) {
    case 'generate': {
      const settings = await new SettingsStore({ dataDir: paths.data }).get();
      const models = cliModelsService(paths, settings);
      return runGenerateCommand(rest, {
        ...io,
        models,
        dataDir: paths.data,
        loraDir: loraDir(paths, settings),
        embeddingDir: embeddingDir(paths, settings),
        upscalerDirs: [modelsDir(paths, settings), paths.builtinModels],
      });
    }
    case 'models': {
      const settings = await new SettingsStore({ dataDir: paths.data }).get();
      return runModelsCommand(rest, {
        ...io,
        modelsDir: modelsDir(paths, settings),
        builtinModelsDir: paths.builtinModels,
        clipTokenizerDir: paths.clipTokenizer,
        dataDir: paths.data,
      });
    }
    case 'loras': {
      const settings = await new SettingsStore({ dataDir: paths.data }).get();
      return runAdaptersCommand('lora', rest, { ...io, dir: loraDir(paths, settings) });
    }
    case 'embeddings': {
      const settings = await new SettingsStore({ dataDir: paths.data }).get();
      return runAdaptersCommand('embedding', rest, { ...io, dir: embeddingDir(paths, settings) });
    }
    case 'upscale': {
      const settings = await new SettingsStore({ dataDir: paths.data }).get();
      const models = cliModelsService(paths, settings);
      return runUpscaleCommand(rest, { ...io, models, modelDirs: [modelsDir(paths, settings), paths.builtinModels] });
    }
    case 'doctor': {
      const settings = await new SettingsStore({ dataDir: paths.data }).get();
      return runDoctorCommand(rest, {
        ...io,
        dataDir: paths.data,
        modelsDir: modelsDir(paths, settings),
        selfTestModelDir: path.join(paths.builtinModels, DEMO_MODEL_ID),
      });
    }
    case '--version':
      process.stdout.write(`${appVersion(appRoot)}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    (messages ?? process.stderr).write(`Easel failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
