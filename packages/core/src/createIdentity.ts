import { getLocalStorage } from './env';
import { uuid } from './uuid';

/** The ids stamped on every event. */
export interface Ids {
  anonymousId: string;
  sessionId: string;
  userId?: string;
}

/** Holds the visitor's ids in memory; writes them to localStorage only while storage consent allows it. */
export interface Identity {
  /** The current ids, rotating the session after `sessionTimeout` ms without events. */
  touch(now: number): Ids;
  /** Storage consent granted: load ids a previous visit stored (unless expired), then store the current ones. */
  persist(): void;
  /** Storage consent withdrawn: delete the stored ids and start new ones, unlinked from the old. */
  forget(): void;
  /** Writes the ids if persisting (called when they change and at page hide, not on every event). */
  save(): void;
  setUser(userId: string): void;
  /** New anonymous id and session, no user id. */
  reset(): void;
}

const KEY = 'waymark:ids';
/** CNIL: a device identifier lives at most 13 months and is not extended automatically. */
const ID_LIFETIME_MS = 395 * 86_400_000;

interface Stored {
  /** anonymous id, created at, session id, last activity, user id */
  a: string;
  c: number;
  s: string;
  l: number;
  u?: string;
}

/** Creates the visitor identity. Nothing is read from or written to the device until {@link Identity.persist}. */
export function createIdentity(sessionTimeout: number): Identity {
  const fresh = (): Stored => ({ a: uuid(), c: Date.now(), s: uuid(), l: 0 });
  let state = fresh();
  let persisting = false;

  const save = () => {
    if (!persisting) return;
    try {
      getLocalStorage()?.setItem(KEY, JSON.stringify(state));
    } catch {
      // Quota or blocked storage: the ids live in memory for this page.
    }
  };

  return {
    touch(now) {
      if (state.l && now - state.l > sessionTimeout) state.s = uuid();
      state.l = now;
      return { anonymousId: state.a, sessionId: state.s, userId: state.u };
    },
    persist() {
      if (persisting) return;
      persisting = true;
      try {
        const stored = JSON.parse(getLocalStorage()?.getItem(KEY) ?? 'null') as Stored | null;
        if (stored?.a && Date.now() - stored.c < ID_LIFETIME_MS) {
          const sessionLive = Date.now() - stored.l <= sessionTimeout;
          state = { ...stored, s: sessionLive ? stored.s : state.s, l: Math.max(stored.l, state.l), u: state.u ?? stored.u };
        }
      } catch {
        // Unreadable or corrupt entry: keep the fresh ids.
      }
      save();
    },
    forget() {
      persisting = false;
      try {
        getLocalStorage()?.removeItem(KEY);
      } catch {
        // Nothing stored, or storage blocked.
      }
      state = fresh();
    },
    save,
    setUser(userId) {
      state.u = userId;
      save();
    },
    reset() {
      state = fresh();
      save();
    },
  };
}
