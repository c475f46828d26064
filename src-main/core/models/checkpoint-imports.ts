import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImportProgress } from '../../../src-preload/api';
import { type ImportedCheckpoint, importCheckpoint, type ImportStage, STAGE_MESSAGES, type VerifyingPipeline } from '../convert/import-checkpoint';
import { receiveCheckpoint } from '../convert/receive-upload';
import { EaselError } from '../errors';
import { formatBytes } from '../format';
import { freeBytesOn } from './disk-space';

export interface CheckpointImportsOptions {
  /** Where models go now (the settings may move it), cleared of leftovers: imports stage in it. */
  modelsDir: () => Promise<string>;
  /** Easel's copy of the CLIP vocabulary. */
  tokenizerDir: string;
  /** The pipeline that verifies a conversion with a test image. */
  pipeline: () => Promise<VerifyingPipeline>;
  isIdTaken: (id: string) => Promise<boolean>;
  /** Told as each stage begins and as an upload's bytes arrive. */
  onProgress: (progress: ImportProgress) => void;
  log?: (line: string) => void;
  /** How much space a folder's volume has left (tests pass a small number). */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface CheckpointImportRequest {
  /** Chosen by the window that starts the import; one is made up when none is given. */
  importId?: string;
  name?: string;
}

const RECEIVING_LABEL = 'Receiving the file';

/**
 * Before the file's header is read, only the networks every checkpoint has are listed; a second text encoder
 * (SDXL) and the VAE encoder join the list once the header says they are there.
 */
const PROVISIONAL_STAGES: ImportStage[] = ['checking', 'reading', 'text_encoder', 'unet', 'vae_decoder', 'writing', 'verifying', 'installing'];

/**
 * Single-file checkpoint imports under way, by import id: a file on this computer (Electron, the CLI, a path)
 * or one uploaded by a page that cannot name a path (the web host). Each reports its stages, can be
 * cancelled, and leaves nothing behind when it fails.
 */
export class CheckpointImports {
  private readonly running = new Map<string, AbortController>();
  /**
   * Every import id this run has seen. A browser may send a POST again when the connection it was on closes
   * (as a cancelled upload's does): the repeat must not start the cancelled import over.
   */
  private readonly seen = new Set<string>();

  constructor(private readonly options: CheckpointImportsOptions) {}

  /** Converts a `.safetensors` file where it lies. */
  async importFile(file: string, request: CheckpointImportRequest = {}): Promise<ImportedCheckpoint> {
    const importId = request.importId ?? randomBytes(8).toString('hex');
    const signal = this.begin(importId, path.basename(file));
    try {
      return await this.convert(file, file, importId, request, signal, []);
    } finally {
      this.running.delete(importId);
    }
  }

  /**
   * Receives an uploaded checkpoint into a hidden folder in the models folder (under its own file name, so
   * every message names the file the person chose), converts it, and removes the upload whatever happens.
   */
  async importUpload(body: Readable, request: CheckpointImportRequest & { importId: string; fileName: string; size: number }): Promise<ImportedCheckpoint> {
    const { importId, fileName, size } = request;
    const signal = this.begin(importId, fileName);
    const modelsDir = await this.options.modelsDir();
    const inbox = path.join(modelsDir, `.importing-upload-${randomBytes(4).toString('hex')}`);
    try {
      await fsp.mkdir(inbox, { recursive: true });
      // The upload and its conversion are each about the file's size, and both are on disk at the end.
      const needed = Math.ceil(size * 2.1) + 64 * 1024 * 1024;
      const free = await (this.options.freeBytes ?? freeBytesOn)(modelsDir);
      if (free < needed) {
        throw new EaselError(
          'disk_full',
          `Importing ${fileName} needs about ${formatBytes(needed)} free in ${modelsDir}, which has ${formatBytes(free)}. Free some space and try again.`,
          { needed, free },
        );
      }
      const file = path.join(inbox, fileName);
      const stages = [{ stage: 'receiving' as const, label: RECEIVING_LABEL }];
      const provisional = [...stages, ...PROVISIONAL_STAGES.map((stage) => ({ stage, label: STAGE_MESSAGES[stage] }))];
      let shownPercent = -1;
      this.options.onProgress({ importId, fileName, stages: provisional, index: 0, bytes: 0, totalBytes: size });
      await receiveCheckpoint(body, {
        file,
        size,
        signal,
        onBytes: (bytes) => {
          const percent = Math.floor((bytes / size) * 100);
          if (percent === shownPercent) return;
          shownPercent = percent;
          this.options.onProgress({ importId, fileName, stages: provisional, index: 0, bytes, totalBytes: size });
        },
      });
      return await this.convert(file, fileName, importId, request, signal, stages);
    } finally {
      this.running.delete(importId);
      await fsp.rm(inbox, { recursive: true, force: true });
    }
  }

  /** Stops an import under way; false when none of that id is running or it is being installed. What it had written is removed. */
  cancel(importId: string): boolean {
    const controller = this.running.get(importId);
    controller?.abort();
    return controller !== undefined;
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }

  private begin(importId: string, fileName: string): AbortSignal {
    if (this.seen.has(importId)) throw new EaselError('invalid_request', `An import called ${importId} was started already.`, { importId });
    this.seen.add(importId);
    const controller = new AbortController();
    this.running.set(importId, controller);
    this.options.log?.(`models: importing ${fileName}`);
    return controller.signal;
  }

  private async convert(
    file: string,
    sourcePath: string,
    importId: string,
    request: CheckpointImportRequest,
    signal: AbortSignal,
    before: ImportProgress['stages'],
  ): Promise<ImportedCheckpoint> {
    const fileName = path.basename(file);
    return importCheckpoint({
      file,
      sourcePath,
      modelsDir: await this.options.modelsDir(),
      tokenizerDir: this.options.tokenizerDir,
      ...(request.name !== undefined ? { name: request.name } : {}),
      isTaken: this.options.isIdTaken,
      pipeline: await this.options.pipeline(),
      signal,
      ...(this.options.freeBytes ? { freeBytes: this.options.freeBytes } : {}),
      onProgress: (progress) => {
        // Installing is a rename that cannot be taken back halfway: from here on a cancel is refused.
        if (progress.stage === 'installing') this.running.delete(importId);
        this.options.log?.(`models: importing ${fileName}: ${progress.message}`);
        this.options.onProgress({
          importId,
          fileName,
          stages: [...before, ...progress.stages],
          index: before.length + progress.index,
          bytes: null,
          totalBytes: null,
        });
      },
    });
  }
}
