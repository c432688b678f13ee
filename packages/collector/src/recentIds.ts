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

/**
 * Creates a {@link RecentIds} index. The ids are kept in a queue beside the lookup map, so forgetting the oldest is
 * constant time: a Map iterated from its start after many deletes first walks over every deleted slot, which made
 * each add past `maxIds` cost time in proportion to the map's capacity.
 */
export function createRecentIds(windowMs: number, maxIds: number): RecentIds {
  const storedAt = new Map<string, number>();
  /** The ids in the order they were added; `head` is the oldest still held. */
  let queue: string[] = [];
  let head = 0;
  let complete = true;
  const forgetOldest = () => {
    storedAt.delete(queue[head]);
    head += 1;
    // Drops the forgotten part of the queue once it is most of it.
    if (head >= 1024 && head * 2 >= queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  return {
    has: (id) => storedAt.has(id),
    add(id, at) {
      if (storedAt.has(id)) return;
      storedAt.set(id, at);
      queue.push(id);
      if (storedAt.size > maxIds) {
        if (storedAt.get(queue[head])! >= at - windowMs) complete = false;
        forgetOldest();
      }
    },
    expire(now) {
      while (head < queue.length && storedAt.get(queue[head])! < now - windowMs) forgetOldest();
    },
    get complete() {
      return complete;
    },
    get size() {
      return storedAt.size;
    },
  };
}
