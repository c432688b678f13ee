import { existsSync } from 'node:fs';

/**
 * Path of the Chromium the real-browser suites drive: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`.
 * Returns `undefined` when no executable is there, so a suite can skip locally with a reason
 * (CI installs Chromium and fails the run on any skipped test).
 *
 * @example
 * const missing = chromiumPath() ? undefined : chromiumMissingReason();
 * describe.skipIf(missing)('page hide', () => { ... });
 */
export function chromiumPath(): string | undefined {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return existsSync(path) ? path : undefined;
}

/** Why a Chromium suite skips, for `console.warn`; `undefined` when Chromium is installed. */
export function chromiumMissingReason(): string | undefined {
  if (chromiumPath()) return undefined;
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return `[waymark] Chromium not found at ${path}: install it (apt-get install chromium) or set CHROMIUM_PATH`;
}
