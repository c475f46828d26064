/**
 * The last line of defence for a long-running host: an error nothing caught is logged and the
 * process keeps serving, so one bad request cannot end every download and generation in progress.
 * Every known input is handled where it arrives; this guard is for the ones nobody foresaw.
 */
export function installProcessGuard(log: (line: string) => void): void {
  process.on('uncaughtException', (error) => log(`Unexpected error (Easel keeps running): ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    log(`Unexpected error (Easel keeps running): ${text}`);
  });
}
