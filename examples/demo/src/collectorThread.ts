import { Worker } from 'node:worker_threads';
import type { CollectorOptions } from '@waymark/collector';

/** Collector options that can cross to a worker thread (no functions, no sinks). */
export type ThreadCollectorOptions = Omit<CollectorOptions, 'now' | 'logger' | 'sinks' | 'isSuppressed' | 'catalogues'>;

/** What the worker is started with. */
export interface CollectorThreadData {
  collector: ThreadCollectorOptions;
  port: number;
  host: string;
  /** The virtual clock (one 64-bit integer of epoch ms) the collector's `now` reads; the real clock without it. */
  clock?: SharedArrayBuffer;
  /** The virtual send time of each replayed request, by request id modulo its length (64-bit integers of epoch ms). */
  sentTimes?: SharedArrayBuffer;
  /** The header that carries the replay's request ids. */
  requestIdHeader: string;
}

/** What the worker tells the main thread. */
export type CollectorThreadMessage =
  | { type: 'ready'; port: number }
  | { type: 'error'; code?: string; message: string }
  | { type: 'closed'; error?: string };

/** Options of {@link startCollectorThread}. */
export type CollectorThreadOptions = CollectorThreadData;

/** A collector serving from a worker thread. */
export interface CollectorThread {
  port: number;
  /** Stops the server, commits what is in flight and closes the store, then ends the thread. */
  close(): Promise<void>;
}

/** Why the collector could not start: its error code (`EADDRINUSE`, ...) and message. */
export class CollectorStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Starts `createCollector` + `serve` in a worker thread, so the collector and its store's commits use the second core
 * while the replay runs on the main thread.
 */
export function startCollectorThread(data: CollectorThreadOptions): Promise<CollectorThread> {
  // A small ES module that registers the TypeScript loader in the thread before it loads collectorWorker.ts.
  const worker = new Worker(new URL('./collectorWorker.mjs', import.meta.url), { workerData: data });
  let closed: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => {
      reject(new CollectorStartError(`the collector's thread ended (exit code ${code})`, undefined));
      closed?.();
    });
    worker.on('message', (message: CollectorThreadMessage) => {
      if (message.type === 'error') {
        reject(new CollectorStartError(message.message, message.code));
        void worker.terminate();
      } else if (message.type === 'closed') closed?.();
      else if (message.type === 'ready') {
        resolve({
          port: message.port,
          close() {
            closing ??= new Promise<void>((done) => {
              closed = done;
              worker.postMessage({ type: 'close' });
            }).then(() => worker.terminate().then(() => undefined));
            return closing;
          },
        });
      }
    });
  });
}
