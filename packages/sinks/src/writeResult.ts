import type { FailedEvent, SinkEvent, WriteResult } from './sink';

/** A {@link WriteResult} for `written` stored events, optional failures and skips. */
export function writeResult(written: number, failed: FailedEvent[] = [], skipped = 0): WriteResult {
  return { written, skipped, failed };
}

/** Fails every event with the same reason. */
export function failAll(events: readonly SinkEvent[], reason: string, sink?: string): FailedEvent[] {
  return events.map((event) => (sink ? { event, reason, sink } : { event, reason }));
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
