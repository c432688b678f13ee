import type { Page } from 'playwright-core';

/**
 * Closes a page the way a user closes a tab: `beforeunload`, `pagehide` and `visibilitychange` (hidden) run, and
 * the promise resolves once the page is really gone. (`page.close({ runBeforeUnload: true })` alone returns before
 * the page has closed, and a context call made meanwhile can fail on the closing page.)
 *
 * @example
 * await closePage(page);
 */
export async function closePage(page: Page): Promise<void> {
  const closed = page.waitForEvent('close');
  await page.close({ runBeforeUnload: true });
  await closed;
}
