/**
 * Reads `count` once a second until two readings agree, and returns that count: pages of earlier tests may still be
 * delivering their exit reports, so a test that expects nothing new counts from a quiet store.
 *
 * @example
 * const before = await quietCount(async () => (await stored()).length);
 */
export async function quietCount(count: () => Promise<number>, intervalMs = 1000): Promise<number> {
  let before = -1;
  for (let now = await count(); now !== before; now = await count()) {
    before = now;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return before;
}
