import type { FailedEvent, SinkEvent } from './sink';
import { messageOf } from './writeResult';

/** Options of {@link isolateFailures}. */
export interface IsolateFailuresOptions<T> {
  /** Sink name, prefixed to failure reasons. */
  sink: string;
  /** Writes a group of prepared items; resolves when stored, rejects otherwise. */
  write: (items: T[]) => Promise<void>;
  /**
   * Whether a rejection is caused by the data of some item (a bad value the backend refused), so splitting the
   * group finds the culprits. Other rejections are rethrown as they are (retryable ones make the whole write retry).
   */
  isDataError: (error: unknown) => boolean;
}

/**
 * Writes `items` in one go; when the backend refuses the group for a bad value, splits it in halves until the
 * refused events stand alone, writes the rest, and reports the refused ones as failed. Backends that load in bulk
 * (COPY, Appender, HTTP inserts) reject a whole group for one bad row: this keeps one bad event from failing its batch.
 */
export async function isolateFailures<T extends { event: SinkEvent }>(
  items: T[],
  options: IsolateFailuresOptions<T>,
): Promise<{ written: number; failed: FailedEvent[] }> {
  if (items.length === 0) return { written: 0, failed: [] };
  try {
    await options.write(items);
    return { written: items.length, failed: [] };
  } catch (error) {
    if (!options.isDataError(error)) throw error;
    if (items.length === 1) {
      return { written: 0, failed: [{ event: items[0].event, reason: `[waymark] ${options.sink}: ${messageOf(error).replace(/^\[waymark\] /, '')}` }] };
    }
    const middle = Math.ceil(items.length / 2);
    const left = await isolateFailures(items.slice(0, middle), options);
    const right = await isolateFailures(items.slice(middle), options);
    return { written: left.written + right.written, failed: [...left.failed, ...right.failed] };
  }
}
