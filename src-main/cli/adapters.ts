import path from 'node:path';
import { AdapterLibrary, type AdapterEntry, type AdapterKind } from '../core/adapters/library';
import { toErrorInfo } from '../core/errors';
import { formatBytes } from '../core/format';

export interface AdaptersCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The LoRA or embedding folder this command manages. */
  dir: string;
}

const COMMAND: Record<AdapterKind, string> = { lora: 'loras', embedding: 'embeddings' };
const NOUN: Record<AdapterKind, string> = { lora: 'LoRA', embedding: 'embedding' };

function usage(kind: AdapterKind): string {
  const noun = NOUN[kind];
  return `Usage: easel ${COMMAND[kind]} <command>

  list [--json]      installed ${noun}s with their base model, trigger words and A1111 hash
  import FILE        check a .safetensors ${noun} and copy it into the folder
  remove NAME        delete an installed ${noun} (NAME as written in prompts)

Prompts use them by file name without .safetensors${kind === 'lora' ? ', as <lora:NAME:0.8>' : ''}.
`;
}

class UsageError extends Error {}

function describeEntry(entry: AdapterEntry): string {
  const details = [formatBytes(entry.bytes)];
  if (entry.hash === '') details.push('damaged: it no longer opens');
  else details.push(`hash ${entry.hash}`);
  if (entry.baseModel !== undefined) details.push(`for ${entry.baseModel}`);
  const words = entry.triggerWords.length > 0 ? `\n      trigger words: ${entry.triggerWords.join(', ')}` : '';
  return `  ${entry.name}  ${details.join(', ')}${words}\n`;
}

async function list(library: AdapterLibrary, kind: AdapterKind, json: boolean, io: AdaptersCommandIo): Promise<number> {
  const entries = await library.list();
  if (json) {
    io.stdout.write(`${JSON.stringify({ dir: library.dir, [COMMAND[kind]]: entries }, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(`${NOUN[kind]}s in ${library.dir}:\n`);
  if (entries.length === 0) io.stdout.write(`  (none; add one with \`easel ${COMMAND[kind]} import FILE\`)\n`);
  for (const entry of entries) io.stdout.write(describeEntry(entry));
  return 0;
}

/** `easel loras …` and `easel embeddings …`: the same library the app's picker shows. */
export async function runAdaptersCommand(kind: AdapterKind, args: string[], io: AdaptersCommandIo): Promise<number> {
  const library = new AdapterLibrary(io.dir, kind);
  const [command, ...rest] = args;
  const flags = rest.filter((arg) => arg.startsWith('--'));
  const positional = rest.filter((arg) => !arg.startsWith('--'));
  try {
    const unknown = flags.find((flag) => !(command === 'list' && flag === '--json'));
    if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}`);
    const single = (what: string): string => {
      if (positional.length !== 1) throw new UsageError(`${command} needs ${what}`);
      return positional[0] as string;
    };
    switch (command) {
      case 'list':
        if (positional.length > 0) throw new UsageError('list takes no arguments');
        return await list(library, kind, flags.includes('--json'), io);
      case 'import': {
        const entry = await library.import(path.resolve(single('a .safetensors file')));
        io.stdout.write(`Imported ${NOUN[kind]} ${entry.name} into ${library.dir}\n${describeEntry(entry)}`);
        return 0;
      }
      case 'remove': {
        const name = single(`a ${NOUN[kind]} name`);
        await library.remove(name);
        io.stdout.write(`Removed ${NOUN[kind]} ${name}\n`);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        io.stdout.write(usage(kind));
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`easel ${COMMAND[kind]}: ${error.message}\n\n${usage(kind)}`);
      return 2;
    }
    io.stderr.write(`${toErrorInfo(error).message}\n`);
    return 1;
  }
}
