import { getWindow } from './env';

/** Undoes what a setup did: removes listeners, disconnects observers, restores patched APIs. */
export type Cleanup = () => void;

/** The browser's window as the engagement modules read it. */
export type Win = Window & typeof globalThis;

/** Longest wait for an idle period before a module starts anyway. */
const IDLE_TIMEOUT = 2000;

/**
 * Runs `setup` once the page has loaded and the main thread is idle (`requestIdleCallback`, or a short timeout where it
 * is missing), so nothing an engagement module does sits on the page's critical path. Returns `stop()`, which cancels a
 * setup that has not run yet or runs the cleanup it returned. On the server it does nothing. Errors in `setup` or the
 * cleanup are swallowed: tracking never breaks the page.
 */
export function startWhenIdle(setup: (win: Win) => Cleanup | void): Cleanup {
  const win = getWindow();
  if (!win) return () => {};
  let cleanup: Cleanup | void;
  let cancel: Cleanup | undefined;
  let stopped = false;
  const run = () => {
    cancel = undefined;
    if (!stopped) cleanup = attempt(() => setup(win));
  };
  const idle = () => {
    if (win.requestIdleCallback) {
      const handle = win.requestIdleCallback(run, { timeout: IDLE_TIMEOUT });
      cancel = () => win.cancelIdleCallback(handle);
    } else {
      const handle = win.setTimeout(run, 50);
      cancel = () => win.clearTimeout(handle);
    }
  };
  if (win.document.readyState === 'complete') idle();
  else {
    const onLoad = () => idle();
    win.addEventListener('load', onLoad, { once: true });
    cancel = () => win.removeEventListener('load', onLoad);
  }
  return () => {
    if (stopped) return;
    stopped = true;
    if (cancel) cancel();
    if (cleanup) attempt(cleanup);
  };
}

/** Calls `fn`, returning its result, or undefined if it threw. */
export function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (process.env.NODE_ENV !== 'production') console.warn('[waymark] engagement tracking failed', error);
    return undefined;
  }
}

/**
 * Adds a listener whose errors never reach the page, and returns its removal. Listeners are passive: they never delay
 * scrolling or call `preventDefault`.
 */
export function listen(
  target: EventTarget,
  type: string,
  handler: (event: Event) => void,
  options: AddEventListenerOptions = {},
): Cleanup {
  const safe = (event: Event) => void attempt(() => handler(event));
  const opts = { passive: true, ...options };
  target.addEventListener(type, safe, opts);
  return () => target.removeEventListener(type, safe, opts);
}

/**
 * Calls `handler` when the page is hidden or unloaded (`visibilitychange` to hidden, `pagehide`), before the tracker's
 * own page-exit flush: capture listeners on the window run before the tracker's listeners on the document (and, for
 * `pagehide`, before target-phase listeners), so an event tracked here leaves with that flush.
 */
export function onPageExit(win: Win, handler: (event: Event) => void): Cleanup {
  const onEvent = (event: Event) => {
    if (event.type === 'pagehide' || win.document.visibilityState === 'hidden') handler(event);
  };
  const offHide = listen(win, 'visibilitychange', onEvent, { capture: true });
  const offPagehide = listen(win, 'pagehide', onEvent, { capture: true });
  return () => {
    offHide();
    offPagehide();
  };
}

/** Runs every cleanup, even when one throws. */
export function cleanupAll(cleanups: Cleanup[]): Cleanup {
  return () => {
    for (const cleanup of cleanups.splice(0)) attempt(cleanup);
  };
}
