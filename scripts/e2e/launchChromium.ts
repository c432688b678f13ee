import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';

/** Flags for Chromium on a closed network: no sandbox (root in CI), no GPU, no QUIC, and no background traffic. */
export const chromiumArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch options shared by {@link launchChromium} and {@link launchPersistentChromium}. */
export function chromiumLaunchOptions(): LaunchOptions {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...chromiumArgs],
  };
}

/**
 * Launches headless Debian Chromium. Create a fresh `browser.newContext()` per test: a context keeps its
 * IndexedDB across reloads and between its pages, and shares nothing with other contexts.
 *
 * @example
 * const browser = await launchChromium();
 * const context = await browser.newContext();
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}

/** A browser profile on disk, so storage survives closing every page and the browser itself. */
export interface PersistentChromium {
  /** The running browser's only context. */
  context: BrowserContext;
  /** The profile directory; pass it to {@link launchPersistentChromium} again to reopen the same profile. */
  userDataDir: string;
  /** Closes the browser (the profile stays on disk for a relaunch). */
  close(): Promise<void>;
  /** Closes the browser and deletes the profile directory. */
  dispose(): Promise<void>;
}

/**
 * Launches Chromium with a persistent profile: a fresh temporary user-data-dir unless one is given, so a test can
 * close the whole browser and come back to the same IndexedDB (the "next visit").
 *
 * @example
 * const first = await launchPersistentChromium();
 * await first.close();
 * const second = await launchPersistentChromium(first.userDataDir);
 */
export async function launchPersistentChromium(userDataDir?: string): Promise<PersistentChromium> {
  const dir = userDataDir ?? (await mkdtemp(join(tmpdir(), 'waymark-chromium-')));
  const context = await chromium.launchPersistentContext(dir, chromiumLaunchOptions());
  const close = async () => {
    await context.close().catch(() => undefined);
  };
  return {
    context,
    userDataDir: dir,
    close,
    async dispose() {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
