import type { Envelope } from '@waymark/taxonomy';

/** What a transport is asked to deliver: one request of one or more envelopes, below the 64 KiB page-exit budget. */
export interface TransportRequest {
  /** Full URL including the write key (`…/v1/batch?key=…`). */
  url: string;
  /** JSON text of a batch: `{ "sentAt": …, "events": [...] }`. */
  body: string;
  /** True while the page is being hidden or unloaded: the request must outlive the page (keepalive or beacon). */
  unloading: boolean;
}

/** What a transport learned about one request. */
export interface TransportResult {
  /**
   * HTTP status, or 0 when the request did not complete (network error, offline, blocked).
   * A transport that cannot read the status (a beacon) reports 202 when the browser queued the request.
   */
  status: number;
  /** Milliseconds to wait before retrying, from a `Retry-After` header. */
  retryAfter?: number;
}

/**
 * Delivers requests. Built in: `fetchTransport()` (keepalive) and `beaconTransport()`. A custom transport is an object
 * with one `send` method that resolves (never rejects) with the status.
 *
 * @example
 * const logTransport: Transport = {
 *   async send(request) {
 *     console.log(request.body);
 *     return { status: 200 };
 *   },
 * };
 */
export interface Transport {
  /** Sends one request. Must resolve, with status 0 for a network failure, rather than reject. */
  send(request: TransportRequest): Promise<TransportResult>;
}

/**
 * Durable storage for events not yet delivered, shared by the tabs of one origin.
 * The tracker keeps its own events in memory and mirrors them here, so a closed tab or a reload loses nothing;
 * events left behind by tabs that are gone are handed to exactly one live tab through {@link EventBuffer.adopt}.
 * The tracker calls a buffer only while storage consent is granted, so creating one stores nothing by itself.
 */
export interface EventBuffer {
  /**
   * Persists events owned by this tab. Drops the oldest events beyond the buffer's bound. The tracker calls it once per
   * queued event (and again for events a page-exit send failed to deliver), so an implementation should write the
   * adds of one task together, as `indexedDbBuffer()` does.
   */
  add(events: Envelope[]): Promise<void>;
  /** Deletes events that were delivered, permanently rejected, or handed to a page-exit send; also cancels their pending adds. */
  remove(ids: string[]): Promise<void>;
  /**
   * Takes ownership of up to `limit` events left by tabs that are gone (a previous visit, a closed tab), oldest first.
   * Events another live tab owns are never returned, so two tabs never send the same event.
   */
  adopt(limit: number): Promise<Envelope[]>;
  /** Deletes every stored event and the database itself (consent withdrawn). */
  clear(): Promise<void>;
  /** Releases this tab's ownership (locks, connections). Its stored events become adoptable by other tabs. */
  close(): void;
  /** How many events were dropped because the buffer was full or the events too old. */
  readonly dropped: number;
}
