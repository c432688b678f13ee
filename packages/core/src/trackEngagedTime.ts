import type { EngagementTracker, StopTracking, TravelTracker } from './engagementTypes';
import { cleanupAll, listen, onPageExit, startWhenIdle } from './startWhenIdle';

/** Options of {@link trackEngagedTime}. */
export interface EngagedTimeOptions {
  /**
   * The reader counts as idle this many milliseconds after their last input (mouse, key, touch, scroll, wheel).
   * @default 30_000
   */
  idleAfter?: number;
  /**
   * On long reads, report the time engaged since the last report this often (milliseconds, wall clock); 0 turns pings off.
   * @default 60_000
   */
  pingEvery?: number;
}

/** What {@link trackEngagedTime} returns: `stop()`, plus the engaged time so far. */
export interface EngagedTime extends StopTracking {
  /** Milliseconds engaged on this page since tracking started, reported or not. */
  engagedMs(): number;
}

const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'scroll', 'wheel', 'touchstart'];
const MAX_MS = 86_400_000;

/**
 * Measures the time a reader really spends on the page: counted only while the page is visible and focused and the
 * reader active (idle after `idleAfter`), and sent as `engaged_time_reported` with `final: true` when the page is hidden
 * (before the tracker's page-exit flush, so it leaves with it), as `final: false` pings every `pingEvery` on long
 * reads, and again after a back/forward-cache restore. Starts once the page is idle; the time before counts if the
 * page was visible and focused.
 *
 * @example
 * import { trackEngagedTime } from '@waymark/core/engagement';
 *
 * const engaged = trackEngagedTime(tracker, { idleAfter: 30_000, pingEvery: 60_000 });
 * engaged.engagedMs(); // engaged time so far
 * engaged();           // stop (reports what is left)
 */
export function trackEngagedTime(tracker: EngagementTracker, options: EngagedTimeOptions = {}): EngagedTime {
  const { idleAfter = 30_000, pingEvery = 60_000 } = options;
  const started = Date.now();
  let total = 0;
  let reported = 0;
  let current = () => total;
  let flushLeft = () => {};
  const stop = startWhenIdle((win) => {
    const doc = win.document;
    const now = () => Date.now();
    let focused = doc.hasFocus();
    let lastInput = started;
    // Start of the running engaged stretch, or undefined while not engaged.
    let since: number | undefined;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;

    const canEngage = () => doc.visibilityState === 'visible' && focused;
    const pause = (at = now()) => {
      if (since !== undefined) total += Math.max(0, at - since);
      since = undefined;
      clearTimeout(idleTimer);
    };
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        const quiet = now() - lastInput;
        // Idle from the moment the pause began, not from when the timer fired.
        if (quiet >= idleAfter) pause(lastInput + idleAfter);
        else armIdle();
      }, Math.max(0, lastInput + idleAfter - now()));
    };
    const resume = (at = now()) => {
      if (since === undefined && canEngage() && at - lastInput < idleAfter) {
        since = at;
        armIdle();
      }
    };
    const report = (final: boolean) => {
      if (since !== undefined) {
        total += now() - since;
        since = now();
      }
      const engagedMs = Math.min(MAX_MS, Math.round(total - reported));
      if (engagedMs > 0) {
        reported = total;
        (tracker as TravelTracker).track('engaged_time_reported', { engagedMs, final });
      }
    };
    current = () => total + (since === undefined ? 0 : now() - since);
    flushLeft = () => {
      pause();
      report(true);
    };

    const onInput = () => {
      lastInput = now();
      if (since === undefined) resume();
    };
    // The reader was already reading while the page loaded.
    if (canEngage()) since = started;
    armIdle();
    const ping = pingEvery > 0 ? setInterval(() => report(false), pingEvery) : undefined;
    return cleanupAll([
      ...ACTIVITY.map((type) => listen(win, type, onInput, { capture: true })),
      listen(win, 'focus', () => {
        focused = true;
        onInput();
      }),
      listen(win, 'blur', () => {
        focused = false;
        pause();
      }),
      listen(doc, 'visibilitychange', () => (doc.visibilityState === 'visible' ? onInput() : pause())),
      onPageExit(win, () => {
        pause();
        report(true);
      }),
      // Restored from the back/forward cache: a new stretch of reading on the same page.
      listen(win, 'pageshow', (event) => {
        if ((event as PageTransitionEvent).persisted) {
          focused = doc.hasFocus();
          onInput();
        }
      }),
      () => {
        clearInterval(ping);
        clearTimeout(idleTimer);
      },
    ]);
  });
  const handle = (() => {
    flushLeft();
    flushLeft = () => {};
    stop();
  }) as EngagedTime;
  handle.engagedMs = () => Math.round(current());
  return handle;
}
