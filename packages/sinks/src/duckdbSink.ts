import { DuckDBConnection, DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { DuckDBAppender } from '@duckdb/node-api';
import { eventColumns, subjectIds, toEventRow } from './eventRow';
import type { EventRow } from './eventRow';
import { isolateFailures } from './isolateFailures';
import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from './sink';
import { invalidOption, SinkError } from './sinkError';
import { messageOf } from './writeResult';

/** Options of {@link duckdbSink}. Give at most one of `path`, `instance` or `connection`. */
export interface DuckdbSinkOptions {
  /**
   * Database file to open (created if missing). Only one process may hold a DuckDB file open for writing: read
   * it through the process that writes, or from snapshots. @default ':memory:'
   */
  path?: string;
  /** An instance you opened; the sink opens its own connection on it and closes only that. */
  instance?: DuckDBInstance;
  /** A connection you manage, to share the store with your own queries; the sink never closes it. */
  connection?: DuckDBConnection;
  /** Table name. @default 'waymark_events' */
  table?: string;
  /**
   * Whether a table the sink creates has a primary key on `id`. DuckDB keeps that index in memory, about 100 bytes
   * per row for as long as the row is kept; without it (`false`), each write looks the batch's ids up in the
   * table instead, which costs a scan of the `id` column. Either way a retried batch is stored once. An existing
   * table is used as it is. @default true
   */
  primaryKey?: boolean;
}

/** Options of {@link duckdbTableSql}. */
export interface DuckdbTableSqlOptions {
  /** Whether `id` is the primary key (see {@link DuckdbSinkOptions.primaryKey}). @default true */
  primaryKey?: boolean;
}

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** The `CREATE TABLE` statement of the sink's table; `{ primaryKey: false }` leaves out the primary key on `id`. */
export function duckdbTableSql(table = 'waymark_events', { primaryKey = true }: DuckdbTableSqlOptions = {}): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id VARCHAR${primaryKey ? ' PRIMARY KEY' : ' NOT NULL'},
  type VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  schema VARCHAR NOT NULL,
  timestamp TIMESTAMPTZ NOT NULL,
  received_at TIMESTAMPTZ,
  anonymous_id VARCHAR NOT NULL,
  user_id VARCHAR,
  session_id VARCHAR NOT NULL,
  page_path VARCHAR NOT NULL,
  page_route VARCHAR,
  page_referrer VARCHAR,
  country VARCHAR,
  locale VARCHAR,
  screen VARCHAR,
  utm_source VARCHAR,
  utm_medium VARCHAR,
  utm_campaign VARCHAR,
  sample_rate DOUBLE NOT NULL,
  properties JSON NOT NULL,
  traits JSON,
  context JSON NOT NULL
)`;
}

function appendRow(appender: DuckDBAppender, row: EventRow) {
  for (const column of eventColumns) {
    const value = row[column];
    if (value === null) appender.appendNull();
    else if (column === 'timestamp' || column === 'received_at') appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(value as number) * 1000n));
    else if (column === 'sample_rate') appender.appendDouble(value as number);
    else appender.appendVarchar(value as string);
  }
  appender.endRow();
}

/**
 * Whether `table` has a primary key or unique constraint on `id` alone (so `INSERT OR IGNORE` skips stored ids).
 */
async function hasIdKey(db: DuckDBConnection, table: string): Promise<boolean> {
  const reader = await db.runAndReadAll(
    `SELECT count(*) FROM duckdb_constraints()
     WHERE schema_name = 'main' AND table_name = $1 AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') AND constraint_column_names = ['id']`,
    [table],
  );
  return Number(reader.getRows()[0][0]) > 0;
}

/**
 * Writes events to DuckDB, the embedded default store of the collector and the report generator on one machine.
 * Rows go through the Appender into a temporary table, then `INSERT OR IGNORE ... SELECT` into the
 * events table, whose primary key makes a retried batch a no-op; on a table without that key (`primaryKey: false`,
 * or the collector's table) the insert leaves out ids the table already holds and repeats within the batch.
 * Needs `@duckdb/node-api`.
 * @example
 * ```ts
 * import { duckdbSink } from '@waymark/sinks/duckdb';
 * const sink = duckdbSink({ path: './waymark.duckdb' });
 * await sink.write(events);
 * ```
 */
export function duckdbSink(options: DuckdbSinkOptions = {}): Sink {
  const { table = 'waymark_events' } = options;
  if (!identifierPattern.test(table)) invalidOption('duckdbSink', 'table', `must be a lower-case SQL identifier such as "waymark_events", got ${JSON.stringify(table)}`);
  if ([options.path, options.instance, options.connection].filter((o) => o !== undefined).length > 1) {
    invalidOption('duckdbSink', 'path', 'cannot be combined with `instance` or `connection`: pass only one of them');
  }
  const staging = `waymark_staging_${table}`;
  let ownedInstance: DuckDBInstance | undefined;
  let ownedConnection: DuckDBConnection | undefined;
  let connecting: Promise<DuckDBConnection> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  /** The statement moving the staged rows into the table, once the table's key is known. */
  let insertSql = '';

  async function open(): Promise<DuckDBConnection> {
    let connection = options.connection;
    if (!connection) {
      const instance = options.instance ?? (ownedInstance = await DuckDBInstance.create(options.path ?? ':memory:'));
      connection = ownedConnection = await instance.connect();
    }
    await connection.run(duckdbTableSql(table, { primaryKey: options.primaryKey ?? true }));
    await connection.run(`CREATE TEMP TABLE IF NOT EXISTS ${staging} AS SELECT * FROM ${table} LIMIT 0`);
    insertSql = (await hasIdKey(connection, table))
      ? `INSERT OR IGNORE INTO ${table} SELECT * FROM temp.main.${staging}`
      : `INSERT INTO ${table} SELECT * FROM temp.main.${staging} AS s
         WHERE NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE t.id = s.id)
         QUALIFY row_number() OVER (PARTITION BY s.id) = 1`;
    return connection;
  }

  function connection(): Promise<DuckDBConnection> {
    connecting ??= open().catch((error: unknown) => {
      connecting = undefined;
      throw new SinkError('unavailable', `duckdbSink: cannot open ${options.path ?? 'the database'}: ${messageOf(error)}`, { cause: error });
    });
    return connecting;
  }

  // One statement sequence at a time: the staging table is shared by the sink's writes.
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  }

  async function insert(db: DuckDBConnection, rows: EventRow[]) {
    const appender = await db.createAppender(staging, 'main', 'temp');
    try {
      for (const row of rows) appendRow(appender, row);
      appender.flushSync();
    } finally {
      try {
        appender.closeSync();
      } catch {
        // closeSync flushes again and rethrows the append error; the first one is already thrown.
      }
    }
    await db.run('BEGIN TRANSACTION');
    try {
      await db.run(insertSql);
      await db.run('COMMIT');
    } catch (error) {
      await db.run('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await db.run(`DELETE FROM temp.main.${staging}`);
    }
  }

  async function write(events: readonly SinkEvent[]): Promise<WriteResult> {
    const failed: FailedEvent[] = [];
    const items: { event: SinkEvent; row: EventRow }[] = [];
    for (const event of events) {
      try {
        items.push({ event, row: toEventRow(event) });
      } catch (error) {
        failed.push({ event, reason: `[waymark] duckdbSink: ${messageOf(error)}` });
      }
    }
    const db = await connection();
    return serial(async () => {
      const result = await isolateFailures(items, {
        sink: 'duckdbSink',
        isDataError: (error) => /Conversion Error|Invalid Input Error|invalid .* format|Malformed JSON/i.test(messageOf(error)),
        write: async (group) => {
          await db.run(`DELETE FROM temp.main.${staging}`);
          await insert(db, group.map((item) => item.row));
        },
      }).catch((error: unknown) => {
        throw new SinkError('unavailable', `duckdbSink: ${messageOf(error)}`, { cause: error });
      });
      return { written: result.written, skipped: 0, failed: [...failed, ...result.failed] };
    });
  }

  return {
    name: 'duckdb',
    write(events) {
      if (closed) return Promise.reject(new SinkError('rejected', 'duckdbSink: write() after close()'));
      return events.length === 0 ? Promise.resolve({ written: 0, skipped: 0, failed: [] }) : write(events);
    },
    async erase(subject: Subject) {
      const ids = subjectIds('duckdbSink', subject);
      const db = await connection();
      return serial(async () => {
        const result = await db.run(`DELETE FROM ${table} WHERE user_id = $1 OR anonymous_id = $2`, [ids.userId ?? null, ids.anonymousId ?? null]);
        return { deleted: result.rowsChanged };
      });
    },
    async close() {
      closed = true;
      await serial(async () => {
        ownedConnection?.closeSync();
        ownedInstance?.closeSync();
      });
    },
  };
}
