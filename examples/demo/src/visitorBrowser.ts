import { createTracker } from '@waymark/core';
import type { Tracker, TrackerOptions } from '@waymark/core';

/** What a replayed visitor's browser tells the tracker: language, screen width and Global Privacy Control. */
export interface BrowserProfile {
  /** `navigator.language`, such as `en-GB`. */
  language: string;
  /** `window.innerWidth`: the tracker reports a screen class from it. */
  width: number;
  /** `navigator.globalPrivacyControl`. */
  gpc?: boolean;
}

/**
 * One visitor's browser, as far as `@waymark/core` reads it: tabs with a location, a document title and referrer, the
 * `pagehide` and `online` events, and, shared by every tab and across visits, `navigator.onLine` and a localStorage
 * (where the tracker keeps the visitor's ids once storage consent is granted). No DOM: the replay calls the tracker
 * as the blog's code would.
 */
export interface VisitorBrowser {
  /** A new tab (a page load): its own window and document. */
  openTab(): BrowserTab;
  /** Connection lost or back: `navigator.onLine`, and the `online` event on every open tab. */
  setOnline(online: boolean): void;
  readonly online: boolean;
}

/** One tab of a {@link VisitorBrowser}. */
export interface BrowserTab {
  /** Shows `url` (the page load, then client-side navigations), with its title and, on the page load, the referrer. */
  open(url: string, title: string, referrer?: string): void;
  /**
   * The page's tracker. `createTracker` finds the page through the `window` and `document` globals, which point at
   * this tab only while it runs.
   */
  load(options: TrackerOptions): Tracker;
  /** The tab is closed: `pagehide`, as the browser fires it. */
  leave(): void;
}

class MemoryStorage {
  private readonly _items = new Map<string, string>();
  get length() {
    return this._items.size;
  }
  key(index: number) {
    return [...this._items.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this._items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this._items.set(key, String(value));
  }
  removeItem(key: string) {
    this._items.delete(key);
  }
  clear() {
    this._items.clear();
  }
}

/** Creates a visitor's browser; its storage lives as long as the object (the visitor's device). */
export function createVisitorBrowser(profile: BrowserProfile): VisitorBrowser {
  const navigator = {
    language: profile.language,
    languages: [profile.language],
    onLine: true,
    doNotTrack: null,
    globalPrivacyControl: profile.gpc === true,
  };
  const localStorage = new MemoryStorage();
  const tabs = new Set<EventTarget>();
  const globals = globalThis as Record<string, unknown>;

  return {
    openTab() {
      const win = new EventTarget() as EventTarget & Record<string, unknown>;
      const doc = new EventTarget() as EventTarget & Record<string, unknown>;
      const location = { href: 'about:blank' };
      Object.assign(doc, { title: '', referrer: '', visibilityState: 'visible' });
      Object.assign(win, { document: doc, location, navigator, innerWidth: profile.width, localStorage });
      tabs.add(win);
      return {
        open(url, title, referrer) {
          location.href = url;
          doc.title = title;
          if (referrer !== undefined) doc.referrer = referrer;
        },
        load(options) {
          const saved = (['window', 'document'] as const).map((key) => [key, Object.getOwnPropertyDescriptor(globals, key)] as const);
          globals.window = win;
          globals.document = doc;
          try {
            return createTracker(options);
          } finally {
            for (const [key, descriptor] of saved) {
              if (descriptor) Object.defineProperty(globals, key, descriptor);
              else delete globals[key];
            }
          }
        },
        leave() {
          tabs.delete(win);
          doc.visibilityState = 'hidden';
          win.dispatchEvent(new Event('pagehide'));
        },
      };
    },
    setOnline(online) {
      if (navigator.onLine === online) return;
      navigator.onLine = online;
      for (const win of tabs) win.dispatchEvent(new Event(online ? 'online' : 'offline'));
    },
    get online() {
      return navigator.onLine;
    },
  };
}
