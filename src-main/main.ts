import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import { DEFAULT_HUB_ENDPOINT } from '../src-preload/api';
import { appVersion, findAppRoot } from './app-root';
import { currentPathEnvironment, resolveAppPaths } from './core/app-paths';
import { Easel } from './core/easel';
import { writeFileAtomic } from './core/fs/atomic';
import { proxyUrlFromPac } from './core/models/http';
import { contentSecurityPolicy } from './hosts/content-security-policy';
import { createDispatcher } from './hosts/dispatch';
import { APP_ORIGIN, forwardEvents, installIpc } from './hosts/electron-ipc';
import { createHandlers, type HostServices } from './hosts/handlers';
import { installProcessGuard } from './hosts/process-guard';

// Pages load from app://easel/…, never file://, so the CSP and the origin check mean something.
protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

installProcessGuard((line) => console.error(line));

const appRoot = findAppRoot();
const rendererDir = path.join(appRoot, 'dist', 'renderer');

function serveRenderer(): void {
  protocol.handle('app', async (request) => {
    const { pathname } = new URL(request.url);
    const file = path.resolve(rendererDir, `.${decodeURIComponent(pathname === '/' ? '/index.html' : pathname)}`);
    if (!file.startsWith(rendererDir + path.sep)) return new Response('Not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    if (file.endsWith('.html')) headers.set('Content-Security-Policy', contentSecurityPolicy('electron'));
    return new Response(response.body, { status: response.status, headers });
  });
}

function isSafeExternalUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

const desktopServices: HostServices = {
  // openPath runs a file with its default program, so it only ever gets a folder Easel checked is one.
  openFolder: async (folder) => (await shell.openPath(folder)) === '',
  chooseFolder: async (which) => {
    const window = BrowserWindow.getFocusedWindow();
    const options: Electron.OpenDialogOptions = {
      title: { gallery: 'Choose the gallery folder', models: 'Choose the models folder', loras: 'Choose the LoRA folder', embeddings: 'Choose the embeddings folder' }[which],
      properties: ['openDirectory', 'createDirectory'],
    };
    const choice = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
    return choice.canceled ? null : (choice.filePaths[0] ?? null);
  },
  saveFile: async (suggestedName, bytes) => {
    const window = BrowserWindow.getFocusedWindow();
    const options = { defaultPath: path.join(app.getPath('pictures'), suggestedName), filters: [{ name: 'PNG image', extensions: ['png'] }] };
    const choice = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return null;
    await writeFileAtomic(choice.filePath, bytes);
    return choice.filePath;
  },
};

function createWindow(easel: Easel): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Easel',
    backgroundColor: '#15161a',
    show: false,
    webPreferences: {
      preload: path.join(appRoot, 'dist', 'preload', 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  const stopForwarding = forwardEvents(easel.events, window.webContents);
  window.on('closed', stopForwarding);
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  serveRenderer();
  const paths = resolveAppPaths(currentPathEnvironment(appRoot, app.isPackaged));
  // The system's proxy (as the browser sees it) applies to downloads unless the environment names one.
  const systemProxy = proxyUrlFromPac(await session.defaultSession.resolveProxy(DEFAULT_HUB_ENDPOINT));
  const easel = new Easel({
    // The system knows the Pictures folder's real (possibly translated or moved) name.
    paths: { ...paths, defaultGallery: process.env.EASEL_GALLERY_DIR ?? path.join(app.getPath('pictures'), 'Easel') },
    env: systemProxy && !process.env.HTTPS_PROXY ? { ...process.env, HTTPS_PROXY: systemProxy } : process.env,
    host: 'electron',
    version: appVersion(appRoot),
    log: (line) => console.log(line),
    electronGpuInfo: () => app.getGPUInfo('complete'),
  });
  installIpc(ipcMain, createDispatcher(createHandlers(easel, desktopServices)));
  createWindow(easel);
  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    // Downloads pause (they resume at the next start) and the gallery index is flushed first.
    event.preventDefault();
    stopped = true;
    void easel.shutdown().finally(() => app.quit());
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(easel);
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

start().catch((error: unknown) => {
  console.error(`Easel could not start: ${(error as Error).message}`);
  app.exit(1);
});
