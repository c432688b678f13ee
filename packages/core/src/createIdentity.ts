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
export function createIdentity(win: Window, sessionTimeout: number): Identity {
  const fresh = (): Stored => ({ a: uuid(), c: Date.now(), s: uuid(), l: 0 });
  let state = fresh();
  let persisting = false;

  /** Runs a localStorage call; a missing, blocked or full storage (Safari private mode, sandboxes) keeps ids in memory. */
  const storage = (call: (storage: Storage) => void) => {
    try {
      call(win.localStorage);
    } catch {
      // The ids live in memory for this page.
    }
  };
  const save = () => {
    if (persisting) storage((s) => s.setItem(KEY, JSON.stringify(state)));
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
      storage((s) => {
        const stored: Stored | null = JSON.parse(s.getItem(KEY)!);
        const now = Date.now();
        // An unreadable or expired entry keeps the fresh ids.
        if (stored?.a && now - stored.c < ID_LIFETIME_MS) {
          state = {
            ...stored,
            s: now - stored.l <= sessionTimeout ? stored.s : state.s,
            l: Math.max(stored.l, state.l),
            u: state.u || stored.u,
          };
        }
      });
      save();
    },
    forget() {
      persisting = false;
      storage((s) => s.removeItem(KEY));
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
