import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  JSDuckDBValueConverter,
} from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { ReportEngine, ReportRow } from './reportEngine';

/**
 * Options of {@link duckdbEngine}: open a database file (`path`), wrap a connection you already have (`connection`),
 * or neither for an empty in-memory database.
 */
export type DuckdbEngineOptions =
  | {
      /** The DuckDB file to open, such as the collector's `./waymark.duckdb`. */
      path: string;
      /**
       * Open the file read-only (reports only read; refreshing rollups writes). A read-only open still fails while
       * another process holds the file for writing. @default false
       */
      readOnly?: boolean;
      connection?: undefined;
    }
  | {
      /**
       * A connection you opened, such as the collector store's `connect()`. The engine sets its time zone to UTC and
       * closes it in `close()`.
       */
      connection: DuckDBConnection;
      path?: undefined;
      readOnly?: undefined;
    }
  | { path?: undefined; connection?: undefined; readOnly?: undefined };

/** A {@link ReportEngine} on DuckDB. */
export interface DuckdbEngine extends ReportEngine {
  readonly dialect: 'duckdb';
  /** The underlying connection, for work the engine interface does not cover (the Appender, prepared statements). */
  readonly connection: DuckDBConnection;
}

const lockPattern = /Could not set lock|Conflicting lock/i;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opens the file, turning DuckDB's lock error into what the user should do about it. */
async function openInstance(path: string, readOnly: boolean): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
  } catch (error) {
    const message = messageOf(error);
    if (lockPattern.test(message)) {
      throw new Error(
        `[waymark] cannot open ${path}: the collector holds the store (DuckDB lets one process open a file for writing, and no other process read it meanwhile). ` +
          'Run the report through the collector instead (--collector URL --key KEY), or stop the collector first.',
        { cause: error },
      );
    }
    throw new Error(`[waymark] cannot open the DuckDB file ${path}: ${message}`, { cause: error });
  }
}

/** Epoch milliseconds of a timestamp value, whatever its unit. */
function epochMs(value: DuckDBValue): number | undefined {
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) return Number(value.micros / 1000n);
  if (value instanceof DuckDBTimestampMillisecondsValue) return Number(value.millis);
  if (value instanceof DuckDBTimestampSecondsValue) return Number(value.seconds) * 1000;
  if (value instanceof DuckDBTimestampNanosecondsValue) return Number(value.nanos / 1_000_000n);
  return undefined;
}

/** Converts one DuckDB value to the plain JS value {@link ReportEngine.query} promises. */
export function plainDuckdbValue(value: DuckDBValue, type: DuckDBType): string | number | boolean | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // ClickHouse's JSON output turns inf and nan into null: do the same so both engines agree.
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return Number(value);
  }
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  const ms = epochMs(value);
  if (ms !== undefined) return ms;
  // Lists, structs and maps become JSON text; other scalars (UUID, INTERVAL, BLOB) their SQL text.
  const js = JSDuckDBValueConverter(value, type, JSDuckDBValueConverter);
  if (js !== null && typeof js === 'object' && !(js instanceof Date) && !(js instanceof Uint8Array)) {
    return JSON.stringify(js, (_key, item: unknown) => (typeof item === 'bigint' ? Number(item) : item));
  }
  return value.toString();
}

/**
 * A {@link ReportEngine} on DuckDB: the collector's store file, a connection the collector hands out, or an
 * in-memory database (tests, exports). The session time zone is UTC, so `CAST(timestamp AS DATE)` is the UTC day.
 * Statements run one at a time, in call order.
 * @throws {Error} when the file is held by a running collector (DuckDB allows one writing process per file, and no
 *   reader meanwhile): the message says to run the report through the collector (`--collector URL --key KEY`) or
 *   stop it.
 * @example
 * ```ts
 * const engine = await duckdbEngine({ path: './waymark.duckdb', readOnly: true });
 * const rows = await engine.query('SELECT name, count(*) AS n FROM waymark_events GROUP BY name');
 * await engine.close();
 * ```
 */
export async function duckdbEngine(options: DuckdbEngineOptions = {}): Promise<DuckdbEngine> {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection;
  if (options.connection) {
    connection = options.connection;
  } else {
    instance = options.path === undefined ? await DuckDBInstance.create(':memory:') : await openInstance(options.path, options.readOnly === true);
    try {
      connection = await instance.connect();
    } catch (error) {
      instance.closeSync();
      throw new Error(`[waymark] cannot connect to the DuckDB database: ${messageOf(error)}`, { cause: error });
    }
  }
  await connection.run("SET TimeZone = 'UTC'");

  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  // One statement at a time on the connection, in call order.
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('[waymark] duckdbEngine: used after close()'));
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    dialect: 'duckdb',
    connection,
    query: (sql) =>
      serial(async () => {
        const reader = await connection.runAndReadAll(sql);
        const names = reader.columnNames();
        const types = reader.columnTypes();
        return reader.getRows().map((values) => {
          const row: ReportRow = {};
          for (let i = 0; i < names.length; i++) row[names[i]] = plainDuckdbValue(values[i], types[i]);
          return row;
        });
      }),
    run: (sql) =>
      serial(async () => {
        await connection.run(sql);
      }),
    async close() {
      if (closed) return;
      await serial(async () => {
        connection.closeSync();
        instance?.closeSync();
      });
      closed = true;
    },
  };
}
