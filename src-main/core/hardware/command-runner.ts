import { execFile } from 'node:child_process';
import { EaselError } from '../errors';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit code; a command that exits non-zero still resolves, so callers can read what it printed. */
  code: number;
}

export interface CommandRunner {
  /**
   * Runs a program without a shell. Rejects with EaselError('io') whose detail.reason is
   * 'not_found', 'timeout', 'output_too_large' or 'spawn_failed'.
   */
  run(command: string, args: readonly string[], options: { timeoutMs: number }): Promise<CommandResult>;
}

export interface CommandRunnerOptions {
  /** Cap on stdout and on stderr, each; a tool that prints more is stopped. */
  maxOutputBytes?: number;
  /** Environment for the child; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const maxBuffer = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return {
    run(command, args, { timeoutMs }) {
      return new Promise<CommandResult>((resolve, reject) => {
        let settled = false;
        const settle = (action: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          action();
        };
        const child = execFile(
          command,
          [...args],
          { encoding: 'utf8', maxBuffer, windowsHide: true, env: options.env ?? process.env },
          (error, stdout, stderr) => {
            if (!error) {
              settle(() => resolve({ stdout, stderr, code: 0 }));
              return;
            }
            const errno = (error as NodeJS.ErrnoException).code as unknown;
            if (typeof errno === 'number') {
              settle(() => resolve({ stdout, stderr, code: errno }));
            } else if (errno === 'ENOENT') {
              settle(() =>
                reject(
                  new EaselError('io', `${command} is not installed or not on the PATH.`, {
                    command,
                    reason: 'not_found',
                  }),
                ),
              );
            } else if (errno === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
              settle(() =>
                reject(
                  new EaselError('io', `${command} printed more than ${maxBuffer} bytes and was stopped.`, {
                    command,
                    reason: 'output_too_large',
                  }),
                ),
              );
            } else {
              settle(() =>
                reject(
                  new EaselError('io', `${command} could not be run: ${error.message}`, {
                    command,
                    reason: 'spawn_failed',
                  }),
                ),
              );
            }
          },
        );
        // Our own timer rather than execFile's: execFile only calls back once the output pipes close,
        // which a grandchild holding them open can delay indefinitely.
        const timer = setTimeout(() => {
          settle(() => {
            child.kill('SIGKILL');
            child.stdout?.destroy();
            child.stderr?.destroy();
            reject(
              new EaselError('io', `${command} did not finish within ${seconds(timeoutMs)} and was stopped.`, {
                command,
                reason: 'timeout',
                timeoutMs,
              }),
            );
          });
        }, timeoutMs);
      });
    },
  };
}
