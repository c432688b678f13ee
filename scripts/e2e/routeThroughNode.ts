import type { BrowserContext } from 'playwright-core';

/**
 * Makes the context load `origin`'s pages through Node instead of the browser's network, so a page can be reloaded
 * or opened while the context is offline (`context.setOffline(true)`); the browser's own requests, such as a
 * tracker's, still see the network as offline. Returns a function that restores normal loading.
 *
 * Pages fulfilled this way have no network address, so Chromium's Local Network Access checks would block their
 * requests to 127.0.0.1; the context is granted `local-network-access` for `origin`, as a user would.
 *
 * @example
 * const restore = await routeThroughNode(context, site.origin);
 * await page.reload();
 * await restore();
 */
export async function routeThroughNode(context: BrowserContext, origin: string): Promise<() => Promise<void>> {
  await context.grantPermissions(['local-network-access'], { origin });
  const pattern = `${origin}/**`;
  await context.route(pattern, async (route) => route.fulfill({ response: await route.fetch() }));
  return () => context.unroute(pattern);
}
