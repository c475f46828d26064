import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import tty from 'node:tty';
import { stripVTControlCharacters } from 'node:util';
import type { ProgressStream } from './step-progress';

/**
 * ONNX Runtime's WebGPU provider (through Dawn) writes warnings such as "Couldn't load Vulkan" to the process's
 * stderr from native code, where no log level reaches, and ONNX Runtime may print before its log level is read.
 * So the commands that load models run in a child process whose stderr is a pipe, and Easel's own messages
 * and progress go to the terminal through another descriptor (fd 3). What native code wrote is dropped;
 * anything else (a crash) is passed on, and EASEL_DEBUG=1 passes on everything.
 */

/** Set in the child: the descriptor its own messages go to. */
const MESSAGES_FD_VARIABLE = 'EASEL_CLI_MESSAGES_FD';
const MESSAGES_FD = 3;

/** In the child: Easel's stderr (a terminal when the person's is); null when not running as the child. */
export function childMessageStream(env: NodeJS.ProcessEnv): (NodeJS.WritableStream & ProgressStream) | null {
  if (env[MESSAGES_FD_VARIABLE] !== String(MESSAGES_FD)) return null;
  return tty.isatty(MESSAGES_FD) ? new tty.WriteStream(MESSAGES_FD) : fs.createWriteStream('', { fd: MESSAGES_FD });
}

/** A line of ONNX Runtime's logger, or one naming a C++ source file and line (where Dawn says a warning came from). */
const NATIVE_LINE = /:onnxruntime[:,]|\.(cc|cpp|h|hpp):\d+\)?\s*$/;

/**
 * What the child wrote to stderr less the native libraries' log: their own lines, the message line above a
 * C++ source location (Dawn's warnings), and the blank and colour-reset lines around them.
 */
export function withoutNativeLog(text: string): string {
  const lines = text.split('\n').map((line) => stripVTControlCharacters(line));
  const kept = lines.filter((line, index) => {
    const next = lines[index + 1] ?? '';
    return line.trim() !== '' && !NATIVE_LINE.test(line) && !(/^\s+at /.test(next) && NATIVE_LINE.test(next));
  });
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

/** Runs this same command in a child with native stderr captured; resolves with its exit code. */
export function runInChild(args: readonly string[], env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): Promise<number> {
  const debug = env.EASEL_DEBUG === '1';
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string, ...args], {
    stdio: ['inherit', 'inherit', 'pipe', 2],
    env: { ...env, [MESSAGES_FD_VARIABLE]: String(MESSAGES_FD) },
  });
  const captured: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => (debug ? stderr.write(chunk) : captured.push(chunk)));
  // Ctrl+C reaches the child too; this process waits for it to stop and reports how it ended.
  const ignoreInterrupt = (): void => undefined;
  process.on('SIGINT', ignoreInterrupt);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignoreInterrupt);
      const rest = withoutNativeLog(Buffer.concat(captured).toString('utf8'));
      if (rest !== '') stderr.write(rest);
      resolve(code ?? 128 + (signal === null ? 0 : (os.constants.signals[signal] ?? 0)));
    });
  });
}
