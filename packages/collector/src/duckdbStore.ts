import { DuckDBInstance, listValue, LIST, VARCHAR, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Sink } from '@waymark/sinks';
import { duckdbSink, duckdbTableSql } from '@waymark/sinks/duckdb';

/** An event the collector refused, kept with its reason and the payload exactly as it arrived. */
export interface FailedRecord {
  /** The event's `id` when it had a string one, else null. */
  id: string | null;
  siteId: string;
  receivedAt: number;
  reason: string;
  /** The event as received, as JSON text. */
  payload: string;
}

/** The collector's store: events through a {@link Sink}, plus the failed-events table and the reads dedupe needs. */
export interface CollectorStore {
  /** The events sink (`duckdbSink` on the store's database). */
  readonly events: Sink;
  /** Appends failed records in one transaction. */
  writeFailed(records: readonly FailedRecord[]): Promise<void>;
  /** Ids stored since `since` (epoch ms) with when they were received, oldest first, at most `limit`. */
  recentIds(since: number, limit: number): Promise<{ id: string; at: number }[]>;
  /** Which of `ids` are already stored. */
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

/** Options of the collector's DuckDB store. */
export interface DuckdbStoreOptions {
  /** Database file (created if missing). Only this process may open it while the collector runs. */
  path: string;
}

const EVENTS = 'waymark_events';
const FAILED = 'waymark_failed_events';

/** The `CREATE TABLE` statement of the failed-events table. */
export function failedEventsTableSql(table = FAILED): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id VARCHAR,
  site_id VARCHAR NOT NULL,
  received_at TIMESTAMPTZ NOT NULL,
  reason VARCHAR NOT NULL,
  payload VARCHAR NOT NULL
)`;
}

/** Opens the DuckDB store: `waymark_events` (written by `duckdbSink`) and `waymark_failed_events` in one file. */
export async function openDuckdbStore({ path }: DuckdbStoreOptions): Promise<CollectorStore> {
  const instance = await DuckDBInstance.create(path);
  let db: DuckDBConnection;
  try {
    db = await instance.connect();
    await db.run(failedEventsTableSql());
    await db.run(duckdbTableSql(EVENTS));
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  const events = duckdbSink({ instance, table: EVENTS });
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };
  return {
    events,
    writeFailed(records) {
      if (records.length === 0) return Promise.resolve();
      return serial(async () => {
        const appender = await db.createAppender(FAILED);
        try {
          for (const r of records) {
            if (r.id === null) appender.appendNull();
            else appender.appendVarchar(r.id);
            appender.appendVarchar(r.siteId);
            appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(r.receivedAt) * 1000n));
            appender.appendVarchar(r.reason);
            appender.appendVarchar(r.payload);
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      });
    },
    async recentIds(since, limit) {
      const reader = await db.runAndReadAll(
        `SELECT id, epoch_ms(coalesce(received_at, timestamp)) AS received FROM ${EVENTS}
         WHERE coalesce(received_at, timestamp) >= to_timestamp($1::DOUBLE / 1000)
         ORDER BY received DESC LIMIT $2::BIGINT`,
        [since, limit],
      );
      return reader
        .getRows()
        .map(([id, at]) => ({ id: String(id), at: Number(at) }))
        .reverse();
    },
    async existingIds(ids) {
      if (ids.length === 0) return new Set();
      const reader = await db.runAndReadAll(`SELECT id FROM ${EVENTS} WHERE id IN (SELECT unnest($1))`, [listValue([...ids])], [LIST(VARCHAR)]);
      return new Set(reader.getRows().map(([id]) => String(id)));
    },
    async close() {
      await events.close?.();
      await serial(async () => {
        db.closeSync();
        instance.closeSync();
      });
    },
  };
}
