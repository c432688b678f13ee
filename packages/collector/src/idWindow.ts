import { hash } from 'node:crypto';

/**
 * A 64-bit fingerprint of an event id: the upper half of its MD5 digest as two 32-bit words, the value DuckDB's
 * `md5_number_upper(id)` gives (`hi` = its upper 32 bits), so the store can compute the fingerprints of stored ids.
 */
export interface IdFingerprint {
  hi: number;
  lo: number;
}

/** The {@link IdFingerprint} of an id. */
export function idFingerprint(id: string): IdFingerprint {
  const digest = hash('md5', id, 'buffer');
  return { hi: digest.readUInt32LE(4), lo: digest.readUInt32LE(0) };
}

/**
 * The fingerprints of the ids stored within the dedupe window, in memory: about 11 to 21 bytes per id, and only for
 * ids stored within the window (plus one slice of it), so memory follows the window's volume, not the table's.
 * `mightHave` false means the id was certainly not added within the window; true means it was, or another id with
 * the same 64-bit fingerprint was (about one chance in 10^12 per lookup with 10 million ids held), which the caller
 * settles by asking the store.
 */
export interface IdWindow {
  mightHave(fingerprint: IdFingerprint): boolean;
  /** Records an id stored at `at` (epoch ms). */
  add(fingerprint: IdFingerprint, at: number): void;
  /** Forgets ids stored before `now - windowMs` (a slice at a time, so some stay up to one slice longer). */
  expire(now: number): void;
  /** Fingerprints held. */
  readonly size: number;
  /** Bytes the fingerprint tables take. */
  readonly bytes: number;
}

/** One slice of the window: an open-addressing set of fingerprints, `[hi, lo]` pairs, `[0, 0]` meaning empty. */
interface Slice {
  keys: Uint32Array;
  mask: number;
  count: number;
}

const INITIAL_CAPACITY = 1024;
const MAX_LOAD = 0.75;

function createSlice(capacity: number): Slice {
  return { keys: new Uint32Array(capacity * 2), mask: capacity - 1, count: 0 };
}

/** Index of the fingerprint's pair in `slice`, or of the empty pair where it would go. */
function probe(slice: Slice, hi: number, lo: number): number {
  const { keys, mask } = slice;
  let i = lo & mask;
  for (;;) {
    const at = i * 2;
    const h = keys[at];
    const l = keys[at + 1];
    if ((h === hi && l === lo) || (h === 0 && l === 0)) return at;
    i = (i + 1) & mask;
  }
}

function insert(slice: Slice, hi: number, lo: number): void {
  const at = probe(slice, hi, lo);
  if (slice.keys[at] === hi && slice.keys[at + 1] === lo) return;
  slice.keys[at] = hi;
  slice.keys[at + 1] = lo;
  slice.count += 1;
}

function grow(slice: Slice): Slice {
  const bigger = createSlice((slice.mask + 1) * 2);
  const { keys } = slice;
  for (let at = 0; at < keys.length; at += 2) {
    if (keys[at] !== 0 || keys[at + 1] !== 0) insert(bigger, keys[at], keys[at + 1]);
  }
  return bigger;
}

/**
 * Creates an {@link IdWindow} for `windowMs`, kept as `slices` slices of `windowMs / slices` each; a lookup probes
 * every slice held (at most `slices + 1`).
 */
export function createIdWindow(windowMs: number, slices = 8): IdWindow {
  const sliceMs = Math.max(1, Math.ceil(windowMs / slices));
  /** By slice number (`floor(at / sliceMs)`). */
  const held = new Map<number, Slice>();
  // `[0, 0]` marks an empty pair; the one fingerprint equal to it is stored as `[0, 1]`.
  const key = (fingerprint: IdFingerprint) => (fingerprint.hi === 0 && fingerprint.lo === 0 ? { hi: 0, lo: 1 } : fingerprint);
  return {
    mightHave(fingerprint) {
      const { hi, lo } = key(fingerprint);
      for (const slice of held.values()) {
        const at = probe(slice, hi, lo);
        if (slice.keys[at] === hi && slice.keys[at + 1] === lo) return true;
      }
      return false;
    },
    add(fingerprint, at) {
      const { hi, lo } = key(fingerprint);
      const number = Math.floor(at / sliceMs);
      let slice = held.get(number);
      if (!slice) held.set(number, (slice = createSlice(INITIAL_CAPACITY)));
      if (slice.count + 1 > (slice.mask + 1) * MAX_LOAD) held.set(number, (slice = grow(slice)));
      insert(slice, hi, lo);
    },
    expire(now) {
      for (const number of held.keys()) {
        // Every id of the slice was stored before `(number + 1) * sliceMs`.
        if ((number + 1) * sliceMs <= now - windowMs) held.delete(number);
      }
    },
    get size() {
      let size = 0;
      for (const slice of held.values()) size += slice.count;
      return size;
    },
    get bytes() {
      let bytes = 0;
      for (const slice of held.values()) bytes += slice.keys.byteLength;
      return bytes;
    },
  };
}
