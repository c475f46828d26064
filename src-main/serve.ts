import path from 'node:path';
import { parseArgs } from 'node:util';
import { appVersion, findAppRoot } from './app-root';
import { currentPathEnvironment, resolveAppPaths } from './core/app-paths';
import { Easel } from './core/easel';
import { createDispatcher, createUploadDispatcher } from './hosts/dispatch';
import { createHandlers, createUploadHandlers } from './hosts/handlers';
import { installProcessGuard } from './hosts/process-guard';
import { isLoopbackAddress, startWebHost } from './hosts/web-server';

/** `npm run serve`: Easel's UI and core in a browser, through the web host. */
async function main(): Promise<void> {
  installProcessGuard((line) => console.error(line));
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
    },
  });
  const host = values.host;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535 (0 picks a free port), not ${values.port}`);
    process.exit(2);
  }
  if (!isLoopbackAddress(host)) {
    console.warn(
      `Warning: listening on ${host} lets other machines on your network reach Easel (they still need the token).`,
    );
  }
  const appRoot = findAppRoot();
  const easel = new Easel({
    paths: resolveAppPaths(currentPathEnvironment(appRoot, false)),
    host: 'web',
    version: appVersion(appRoot),
    log: (line) => console.log(line),
  });
  const web = await startWebHost({
    dispatch: createDispatcher(createHandlers(easel)),
    upload: createUploadDispatcher(createUploadHandlers(easel)),
    events: easel.events,
    staticDir: path.join(appRoot, 'dist', 'renderer'),
    host,
    port,
    log: (line) => console.error(line),
  });
  console.log(`Easel is running at ${web.url}`);
  const stop = () => {
    void Promise.all([web.close(), easel.shutdown()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`Easel could not start: ${(error as Error).message}`);
  process.exit(1);
});
