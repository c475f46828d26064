import { rm } from 'node:fs/promises';
import type { Browser, JSHandle, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import type { WebHost } from '../../src-main/hosts/web-server';
import { screenshot } from './browser';

/** The two window sizes every screen is looked at in. */
export const windowSizes = [
  { width: 1280, height: 800 },
  { width: 900, height: 700 },
] as const;

/** A button of the main navigation, by its label. */
export function mainNav(page: Page, label: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: label, exact: true });
}

/** Waits for the page: a cold Chromium and a shared CPU make vitest's default second too short. */
export function poll<T>(read: () => T | Promise<T>, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: 15_000, ...options });
}

/** Screenshots at each of `windowSizes`, then puts the window back at `restore`. */
export async function screenshotAtWindowSizes(page: Page, name: string, restore: { width: number; height: number } = windowSizes[0]): Promise<void> {
  for (const size of windowSizes) {
    await page.setViewportSize(size);
    await screenshot(page, `${name}-${size.width}x${size.height}`);
  }
  await page.setViewportSize(restore);
}

export interface ProblemWatch {
  /** Console errors too, not only uncaught exceptions. */
  consoleErrors?: boolean;
  /**
   * A typed error from the API arrives with an HTTP error status, which Chromium logs as "Failed to load
   * resource"; where a test provokes such errors, that is the contract working, not a problem.
   */
  allowFailedResources?: boolean;
}

/** Collects what went wrong in the page, for a test to expect none at its end. */
export function watchPageProblems(page: Page, { consoleErrors = false, allowFailedResources = false }: ProblemWatch = {}): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  if (consoleErrors) {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (allowFailedResources && message.text().startsWith('Failed to load resource')) return;
      problems.push(message.text());
    });
  }
  return problems;
}

export interface OpenedApp {
  browser?: Browser;
  web?: WebHost;
  core?: Easel;
  /** Removed with everything in it. */
  dataDir?: string;
  hub?: { stop(): Promise<void> };
}

/** Closes what a test opened, browser first so no page calls a closed host; any part may be missing. */
export async function closeApp({ browser, web, core, dataDir, hub }: OpenedApp): Promise<void> {
  await browser?.close();
  await web?.close();
  await core?.shutdown();
  await hub?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

export interface DroppedFile {
  name: string;
  bytes: Buffer;
  type: string;
}

/** What a drop needs from the page (the Node-side tsconfig has no DOM types). */
interface DropGlobals {
  atob(base64: string): string;
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
}

/** A DataTransfer in the page holding `files`, as a file manager's drag carries them. */
export function fileTransfer(page: Page, files: DroppedFile[]): Promise<JSHandle> {
  return page.evaluateHandle(
    (list) => {
      const scope = globalThis as unknown as DropGlobals;
      const transfer = new scope.DataTransfer();
      for (const { name, base64, type } of list) {
        const binary = scope.atob(base64);
        transfer.items.add(new scope.File([Uint8Array.from(binary, (char) => char.charCodeAt(0))], name, { type }));
      }
      return transfer;
    },
    files.map(({ name, bytes, type }) => ({ name, base64: bytes.toString('base64'), type })),
  );
}

/** Drops files on `target` the way a file manager does: dragenter, dragover, then drop. */
export async function dropFiles(target: Locator, files: DroppedFile[], whileDragging?: () => Promise<void>): Promise<void> {
  const dataTransfer = await fileTransfer(target.page(), files);
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await whileDragging?.();
  await target.dispatchEvent('drop', { dataTransfer });
}
