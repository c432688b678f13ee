import { afterEach } from 'vitest';
import type { CollectorOptions } from './createCollector';
import { testCollector } from './testSupport';

/**
 * Collectors for the tests of one file: `setup(options)` makes a {@link testCollector} with `defaults` overridden by
 * `options`. After each test everything in `cleanups` runs: the collectors made are closed and their folders removed,
 * with whatever else a test pushed there.
 */
export function collectorsPerTest(defaults: Partial<CollectorOptions> = {}): {
  setup(options?: Partial<CollectorOptions>): ReturnType<typeof testCollector>;
  cleanups: (() => Promise<void>)[];
} {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  return {
    setup(options = {}) {
      const t = testCollector({ ...defaults, ...options });
      cleanups.push(t.cleanup);
      return t;
    },
    cleanups,
  };
}
