/**
 * Group commit: the items of every request that arrives within `windowMs` of the first one (or while a commit is
 * running) are committed by one call of `commit`, one at a time. Each submitter gets back the results of its
 * own items, in order, once that commit has finished, or the commit's error.
 */
export interface GroupCommit<T, R> {
  submit(items: readonly T[]): Promise<R[]>;
  /** Resolves when nothing is waiting or being committed. */
  drain(): Promise<void>;
  /** Items waiting or being committed. */
  readonly depth: number;
}

interface Waiter<T, R> {
  items: readonly T[];
  resolve(results: R[]): void;
  reject(error: unknown): void;
}

/** Creates a {@link GroupCommit} around `commit`, which must return one result per item, in order. */
export function createGroupCommit<T, R>(commit: (items: T[]) => Promise<R[]>, windowMs: number): GroupCommit<T, R> {
  let waiting: Waiter<T, R>[] = [];
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let depth = 0;

  async function run(group: Waiter<T, R>[]) {
    const items = group.flatMap((w) => w.items);
    let results: R[] | undefined;
    let failure: unknown;
    try {
      results = await commit(items);
    } catch (error) {
      failure = error;
    }
    depth -= items.length;
    // The next group starts first, so its commit is under way while this group's answers are written.
    running = undefined;
    next();
    if (!results) {
      for (const waiter of group) waiter.reject(failure);
      return;
    }
    let offset = 0;
    for (const waiter of group) {
      waiter.resolve(results.slice(offset, offset + waiter.items.length));
      offset += waiter.items.length;
    }
  }

  function next() {
    timer = undefined;
    if (running || waiting.length === 0) return;
    const group = waiting;
    waiting = [];
    // Whatever arrived during the previous commit has already waited at least as long as the window.
    running = run(group);
  }

  return {
    submit(items) {
      if (items.length === 0) return Promise.resolve([]);
      depth += items.length;
      return new Promise<R[]>((resolve, reject) => {
        waiting.push({ items, resolve, reject });
        if (!running && !timer) timer = setTimeout(next, windowMs);
      });
    },
    async drain() {
      while (running || waiting.length > 0) {
        if (timer) {
          clearTimeout(timer);
          next();
        }
        await running;
      }
    },
    get depth() {
      return depth;
    },
  };
}
