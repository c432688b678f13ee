import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A clock the replay moves by hand. While installed, `Date.now()` and `new Date()` read it in the whole process, plus
 * the device offset of the visitor being replayed (a phone whose clock is a few minutes off).
 */
export interface VirtualClock {
  /** The true time, epoch ms: what the collector's `now` option reads. */
  now(): number;
  /** The true time in shared memory (one 64-bit integer, epoch ms), for a collector in a worker thread (`Atomics.load`). */
  readonly shared: SharedArrayBuffer;
  /** Moves the clock to `ms`; never backwards, so the collector sees time pass the way a real one would. */
  set(ms: number): void;
  /**
   * Runs `fn` on a device whose clock is off by `offset` ms: inside it, and in every promise continuation and timer it
   * starts (an answer arriving later, a retry), `Date.now()` returns `now() + offset`.
   */
  onDevice<T>(offset: number, fn: () => T): T;
  /** Makes the global `Date` read this clock (the tracker stamps events and batches with `Date.now()`). */
  install(): void;
  /** Gives the real `Date` back. */
  uninstall(): void;
}

/**
 * Creates a virtual clock starting at `start`. Only `Date` is replaced: timers and `performance.now()` keep real
 * time, so the replay can measure itself and nothing waits for virtual days to pass.
 * @example
 * const clock = createVirtualClock(Date.now() - 30 * 86_400_000);
 * clock.install();
 * clock.set(clock.now() + 60_000); // Date.now() is one minute later
 * clock.uninstall();
 */
export function createVirtualClock(start: number): VirtualClock {
  const RealDate = globalThis.Date;
  let current = start;
  const shared = new SharedArrayBuffer(8);
  const mirror = new BigInt64Array(shared);
  Atomics.store(mirror, 0, BigInt(start));
  const device = new AsyncLocalStorage<number>();
  const offset = () => device.getStore() ?? 0;
  const VirtualDate = new Proxy(RealDate, {
    // `new Date()` is the clock's time; `new Date(x)` is as usual.
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [current + offset()] : args, newTarget),
    // `Date()` called as a function returns the time as a string.
    apply: () => new RealDate(current + offset()).toString(),
    get: (target, key, receiver) => (key === 'now' ? () => current + offset() : Reflect.get(target, key, receiver)),
  });
  return {
    now: () => current,
    shared,
    set(ms) {
      if (ms > current) {
        current = ms;
        Atomics.store(mirror, 0, BigInt(Math.round(ms)));
      }
    },
    onDevice: (ms, fn) => device.run(ms, fn),
    install() {
      globalThis.Date = VirtualDate;
    },
    uninstall() {
      globalThis.Date = RealDate;
    },
  };
}
