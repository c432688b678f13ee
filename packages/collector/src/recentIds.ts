/**
 * The ids of events stored within the dedupe window, in memory, oldest first. Bounded: beyond `maxIds` the oldest
 * are forgotten early and `complete` turns false, telling the caller to ask the store about ids it does not hold.
 */
export interface RecentIds {
  has(id: string): boolean;
  /** Records an id stored at `at` (epoch ms). */
  add(id: string, at: number): void;
  /** Forgets ids stored before `now - windowMs`. */
  expire(now: number): void;
  /** False once an id still inside the window had to be forgotten for room. */
  readonly complete: boolean;
  readonly size: number;
}

/** Creates a {@link RecentIds} index. */
export function createRecentIds(windowMs: number, maxIds: number): RecentIds {
  const ids = new Map<string, number>();
  let complete = true;
  return {
    has: (id) => ids.has(id),
    add(id, at) {
      if (ids.has(id)) return;
      ids.set(id, at);
      if (ids.size > maxIds) {
        const [oldest, storedAt] = ids.entries().next().value!;
        ids.delete(oldest);
        if (storedAt >= at - windowMs) complete = false;
      }
    },
    expire(now) {
      for (const [id, at] of ids) {
        if (at >= now - windowMs) break;
        ids.delete(id);
      }
    },
    get complete() {
      return complete;
    },
    get size() {
      return ids.size;
    },
  };
}
