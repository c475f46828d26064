import path from 'node:path';
import { EaselError, toErrorInfo } from '../core/errors';
import { CATALOG, findCatalogEntry } from '../core/models/catalog';
import { DEFAULT_HUB_ENDPOINT } from '../../src-preload/api';
import { Downloader, type DownloadEvent } from '../core/models/downloader';
import { formatBytes, formatProgress } from '../core/format';
import { proxySettingsFromEnv } from '../core/models/http';
import { ModelStore, type InstalledModel } from '../core/models/store';
import { importCheckpoint } from '../core/convert/import-checkpoint';
import { createPipeline } from '../core/pipeline/create';
import { ProviderHealth } from '../core/runtime/fallback';

export interface ModelsCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  modelsDir: string;
  /** Where built-in models live (`resources/models`); the demo is listed when given. */
  builtinModelsDir?: string;
  /** Easel's CLIP vocabulary (`resources/tokenizers/clip`), needed to import a checkpoint. */
  clipTokenizerDir?: string;
  /** The data folder, where provider health is kept (the import's test image uses it). */
  dataDir?: string;
}

const USAGE = `Usage: easel models <command>

  list [--json]                         installed models and the ones Easel offers
  download ID [--hub-endpoint URL]      fetch a model; run again to resume
  verify ID                             re-check sizes and SHA-256 checksums
  remove ID                             delete a downloaded or imported model
  import DIR [--reference] [--id ID]    add a local folder in the diffusers ONNX layout
  import FILE.safetensors [--name NAME] convert a single-file SD 1.x / 2.x / XL checkpoint

Environment: HF_TOKEN (gated models), HF_ENDPOINT (a mirror), HTTPS_PROXY, HTTP_PROXY, NO_PROXY.
`;

class UsageError extends Error {}

interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['--hub-endpoint', '--id', '--name']);

function parseArgs(args: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? args[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
      if (inline === undefined) i += 1;
      flags.set(name, value);
    } else {
      flags.set(name, true);
    }
  }
  return { positional, flags };
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text);
}

type InstalledState = Exclude<InstalledModel['state'], 'partial'>;

function stateLabel(model: InstalledModel & { state: InstalledState }): string {
  switch (model.state) {
    case 'complete':
      return 'ready';
    case 'corrupt':
      return `damaged: ${model.corruptFiles.join(', ')}`;
    case 'missing-files':
      return `missing files: ${model.missingFiles.slice(0, 3).join(', ')}${model.missingFiles.length > 3 ? ', …' : ''}`;
  }
}

function withoutCatalog(model: InstalledModel): Omit<InstalledModel, 'catalog'> {
  const { catalog: _catalog, ...rest } = model;
  return rest;
}

async function list(store: ModelStore, json: boolean, io: ModelsCommandIo): Promise<number> {
  const here = await store.list();
  // A download that stopped (failed, paused, interrupted) is not installed: it is listed on its own, with what to do.
  const installed = here.filter((model): model is InstalledModel & { state: InstalledState } => model.state !== 'partial');
  const unfinished = here.filter((model) => model.state === 'partial');
  const hereIds = new Set(here.map((m) => m.id));
  const available = CATALOG.filter((e) => e.source.kind === 'huggingface' && !hereIds.has(e.id));
  if (json) {
    const out = {
      installed: installed.map(withoutCatalog),
      unfinished: unfinished.map(withoutCatalog),
      available: available.map((e) => ({ id: e.id, displayName: e.displayName, family: e.family, approxBytes: e.approxTotalBytes })),
    };
    write(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  // One width for every section's columns, from the longest id and name listed, so long names stay aligned.
  const listed = [...here, ...available.map((entry) => ({ id: entry.id, displayName: entry.displayName }))];
  const idWidth = Math.max(22, ...listed.map((model) => model.id.length));
  const nameWidth = Math.max(24, ...listed.map((model) => model.displayName.length));
  const row = (id: string, name: string, rest: string) => write(io.stdout, `  ${id.padEnd(idWidth)} ${name.padEnd(nameWidth)} ${rest}\n`);
  write(io.stdout, 'Installed:\n');
  if (installed.length === 0) write(io.stdout, '  (none)\n');
  for (const model of installed) {
    const size = model.bytes > 0 ? `  ${formatBytes(model.bytes)}` : '';
    const upscaler = model.catalog?.upscaleFactor === undefined ? '' : `  (upscaler ×${model.catalog.upscaleFactor})`;
    row(model.id, model.displayName, `${stateLabel(model)}${size}${model.readOnly ? '  (built in)' : ''}${upscaler}`);
  }
  if (unfinished.length > 0) {
    write(io.stdout, '\nDownloads not finished (`easel models download ID` resumes, `easel models remove ID` deletes):\n');
    for (const model of unfinished) {
      const total = model.catalog?.approxTotalBytes ?? 0;
      const fetched = total > 0 ? `${formatProgress(model.bytes, total)} fetched` : `${formatBytes(model.bytes)} fetched`;
      row(model.id, model.displayName, fetched);
    }
  }
  write(io.stdout, '\nAvailable to download:\n');
  for (const entry of available) {
    const upscaler = entry.upscaleFactor === undefined ? '' : `  (upscaler ×${entry.upscaleFactor})`;
    row(entry.id, entry.displayName, `about ${formatBytes(entry.approxTotalBytes)}  ${entry.licence.name}${upscaler}`);
  }
  return 0;
}

function progressLine(event: Extract<DownloadEvent, { type: 'progress' }>): string {
  const { bytes, total, bytesPerSecond, etaSeconds } = event.overall;
  const percent = total > 0 ? Math.floor((bytes / total) * 100) : 0;
  const speed = bytesPerSecond > 0 ? `, ${formatBytes(bytesPerSecond)}/s` : '';
  const eta =
    etaSeconds === undefined ? '' : etaSeconds >= 90 ? `, ${Math.round(etaSeconds / 60)} min left` : `, ${Math.ceil(etaSeconds)} s left`;
  return `${formatProgress(bytes, total)} (${percent}%)${speed}${eta}`;
}

async function download(store: ModelStore, id: string, flags: ParsedArgs['flags'], io: ModelsCommandIo): Promise<number> {
  const entry = findCatalogEntry(id);
  if (!entry) {
    throw new EaselError('not_found', `Easel offers no model called ${id}. Run \`easel models list\` to see the choices.`);
  }
  if (entry.source.kind !== 'huggingface') {
    throw new EaselError('invalid_request', `${entry.displayName} is built into Easel; there is nothing to download.`);
  }
  const endpointFlag = flags.get('--hub-endpoint');
  const hubEndpoint = typeof endpointFlag === 'string' ? endpointFlag : (io.env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT);
  const token = io.env.HF_TOKEN ?? io.env.HUGGING_FACE_HUB_TOKEN;
  const downloader = new Downloader({ hubEndpoint, proxies: proxySettingsFromEnv(io.env), ...(token ? { token } : {}) });
  const isTty = (io.stdout as NodeJS.WriteStream).isTTY === true;
  let lastPrintedStep = -1;
  write(io.stdout, `Downloading ${entry.displayName} from ${entry.source.repo} (licence: ${entry.licence.name}, ${entry.licence.url})\n`);
  const result = await downloader.download({
    modelId: entry.id,
    displayName: entry.displayName,
    family: entry.family,
    repo: entry.source.repo,
    revision: entry.source.revision,
    files: entry.files.map((f) => ({ path: f.path, approxBytes: f.approxBytes, ...(f.bytes ? { bytes: f.bytes } : {}), ...(f.sha256 ? { sha256: f.sha256 } : {}) })),
    destDir: store.modelDir(entry.id),
    onEvent: (event) => {
      if (event.type === 'plan') {
        const { totalBytes, remainingBytes } = event.plan;
        const resumed = remainingBytes < totalBytes ? `, ${formatBytes(totalBytes - remainingBytes)} already here` : '';
        write(io.stdout, `${formatBytes(remainingBytes)} to fetch of ${formatBytes(totalBytes)}${resumed}\n`);
      } else if (event.type === 'progress') {
        if (isTty) {
          write(io.stdout, `\r${progressLine(event)}\u001b[K`);
        } else {
          const step = event.overall.total > 0 ? Math.floor((event.overall.bytes / event.overall.total) * 10) : 0;
          if (step !== lastPrintedStep) {
            lastPrintedStep = step;
            write(io.stdout, `${progressLine(event)}\n`);
          }
        }
      } else if (event.type === 'retry' || event.type === 'restart') {
        write(io.stderr, `${isTty ? '\n' : ''}${event.type === 'retry' ? event.message : `${event.path}: ${event.reason}`}\n`);
      }
    },
  });
  write(io.stdout, `${isTty ? '\n' : ''}${entry.displayName} is ready in ${result.destDir}\n`);
  return 0;
}

async function verify(store: ModelStore, id: string, io: ModelsCommandIo): Promise<number> {
  const report = await store.verify(id, (file, index, count) => {
    write(io.stdout, `checking ${index + 1}/${count} ${file}\n`);
  });
  if (report.ok) {
    write(io.stdout, `${id}: all ${report.checkedFiles} files match their checksums\n`);
    return 0;
  }
  for (const problem of report.problems) {
    if (problem.problem === 'unreadable') {
      write(io.stderr, `${id}: ${problem.message ?? `${problem.file} cannot be read as a model`}\n`);
      continue;
    }
    const what = problem.problem === 'missing' ? 'is missing' : problem.problem === 'size' ? 'has the wrong size' : 'does not match its checksum';
    write(io.stderr, `${id}: ${problem.file} ${what}\n`);
  }
  write(io.stderr, `${id} is damaged. Run \`easel models download ${id}\` to fetch the damaged files again, or remove it.\n`);
  return 1;
}

export async function runModelsCommand(args: string[], io: ModelsCommandIo): Promise<number> {
  const store = new ModelStore({
    modelsDir: io.modelsDir,
    ...(io.builtinModelsDir ? { builtinModelsDir: io.builtinModelsDir } : {}),
  });
  try {
    const [command, ...rest] = args;
    const { positional, flags } = parseArgs(rest);
    const requireId = (what: string): string => {
      const value = positional[0];
      if (!value) throw new UsageError(`${command} needs ${what}`);
      return value;
    };
    switch (command) {
      case 'list':
        return await list(store, flags.has('--json'), io);
      case 'download':
        return await download(store, requireId('a model id'), flags, io);
      case 'verify':
        return await verify(store, requireId('a model id'), io);
      case 'remove': {
        const id = requireId('a model id');
        await store.remove(id);
        write(io.stdout, `Removed ${id}\n`);
        return 0;
      }
      case 'import': {
        const source = requireId('a folder or a .safetensors file');
        if (/\.safetensors$/i.test(source)) return await importCheckpointFile(store, path.resolve(source), flags, io);
        const dir = path.resolve(source);
        const id = flags.get('--id');
        const name = flags.get('--name');
        const model = await store.importFolder(dir, {
          mode: flags.has('--reference') ? 'reference' : 'copy',
          ...(typeof id === 'string' ? { id } : {}),
          ...(typeof name === 'string' ? { displayName: name } : {}),
        });
        write(io.stdout, `Imported ${model.displayName} as ${model.id} (${model.family}, ${formatBytes(model.bytes)})\n`);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        write(io.stdout, USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      write(io.stderr, `easel models: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    write(io.stderr, `${toErrorInfo(error).message}\n`);
    return 1;
  }
}

async function importCheckpointFile(store: ModelStore, file: string, flags: Map<string, string | true>, io: ModelsCommandIo): Promise<number> {
  if (io.clipTokenizerDir === undefined || io.dataDir === undefined) {
    throw new EaselError('internal', 'Importing a checkpoint needs the CLIP vocabulary Easel ships and its data folder.');
  }
  const name = flags.get('--name');
  const pipeline = await createPipeline({ health: await ProviderHealth.open(path.join(io.dataDir, 'provider-health.json')) });
  const imported = await importCheckpoint({
    file,
    modelsDir: io.modelsDir,
    tokenizerDir: io.clipTokenizerDir,
    ...(typeof name === 'string' ? { name } : {}),
    isTaken: async (id) => CATALOG.some((entry) => entry.id === id) || (await store.get(id)) !== undefined,
    pipeline,
    onProgress: ({ index, count, message }) => write(io.stdout, `[${index + 1}/${count}] ${message}\n`),
  }).finally(() => pipeline.dispose());
  write(io.stdout, `Imported ${imported.displayName} as ${imported.id} (${imported.family}, model hash ${imported.shortHash})\n${imported.id}\n`);
  return 0;
}
