import { BIGINT, DuckDBInstance, DuckDBTimestampValue, listValue, LIST, VARCHAR, TIMESTAMPTZ, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Sink, SinkEvent, WriteResult } from '@waymark/sinks';
import { eventColumns, toEventRows } from '@waymark/sinks';
import type { EventRow } from '@waymark/sinks';
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
  /**
   * Stores one group commit in one transaction, the events and the failed records, and resolves once it has
   * committed. The caller has already left out stored ids (the table has no key on `id`). When DuckDB refuses an
   * event value, the events go through the events sink instead, which reports the refused ones in `failed`, and the
   * failed records are left to the caller (`failedKept` false).
   */
  writeGroup(events: readonly SinkEvent[], failed: readonly FailedRecord[]): Promise<WriteResult & { failedKept: boolean }>;
  /** Appends failed records in one transaction. */
  writeFailed(records: readonly FailedRecord[]): Promise<void>;
  /** Ids stored since `since` (epoch ms) with when they were received, oldest first, at most `limit`. */
  recentIds(since: number, limit: number): Promise<{ id: string; at: number }[]>;
  /**
   * Calls `add` with the fingerprint (`md5_number_upper(id)`, as `IdFingerprint` words) and the later of receipt
   * and event time (epoch ms) of every event received or happened since `since`; resolves with how many.
   */
  storedFingerprints(since: number, add: (hi: number, lo: number, at: number) => void): Promise<number>;
  /** Which of `ids` are already stored; with `since` (epoch ms), only among events received or happened since. */
  existingIds(ids: readonly string[], since?: number): Promise<Set<string>>;
  /** A new connection for reads, its time zone set to UTC; the caller closes it. */
  connect(): Promise<DuckDBConnection>;
  /**
   * Deletes the subjects' events and failed events in one transaction; `userId` as stored (pseudonymised). With
   * `siteId`, only the events and failed events of that site.
   */
  eraseSubjects(subjects: readonly StoredSubject[], siteId?: string): Promise<{ events: number; failedEvents: number }>;
  /**
   * Adds subjects to the suppression list: on every site (`waymark_suppressions`), or with `siteId` on that site
   * only (`waymark_site_suppressions`).
   */
  suppress(subjects: readonly StoredSubject[], at: number, siteId?: string): Promise<void>;
  /** Every subject on the suppression list, with the site it is suppressed on (none: every site). */
  suppressed(): Promise<SuppressedSubject[]>;
  /**
   * Deletes events that happened, and failed events received, before `before` (epoch ms); also the facts of
   * those events and the visitors left without events, when `refreshRollups` has made those tables.
   */
  purge(before: number): Promise<{ events: number; failedEvents: number }>;
  /** Adds counts to `waymark_ingest_stats`, per UTC day and site, in one statement. */
  recordIngestStats(rows: readonly IngestStatsRow[]): Promise<void>;
  /**
   * Runs `task` on the store's maintenance connection (time zone UTC), never at the same time as another
   * maintenance task, an erasure or a purge, so derived tables never keep rows of an erased subject.
   */
  maintain<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Failed events received in `[from, to)` whose reason contains `reason`, oldest first, read in chunks. */
  failedEvents(filter: FailedEventFilter): AsyncIterable<StoredFailedEvent[]>;
  /** Deletes failed events by id, site and receipt time (the ones a replay has stored). */
  deleteFailed(keys: readonly { id: string; siteId: string; receivedAt: number }[]): Promise<number>;
  /** Creates or updates a bulk erasure job. */
  saveJob(job: ErasureJobRecord): Promise<void>;
  /** Every bulk erasure job, oldest first. */
  jobs(): Promise<ErasureJobRecord[]>;
  /**
   * Bytes DuckDB's buffer manager holds now, by what holds them (`duckdb_memory()` tags, lower case, such as
   * `base_table` or `in_memory_table`): the part of the process memory `memoryLimit` caps.
   */
  memoryByTag(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Counts of one UTC day and site, added to `waymark_ingest_stats`. */
export interface IngestStatsRow {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** The site whose write key sent the events. */
  siteId: string;
  /** Events stored. */
  accepted: number;
  /** Events not stored again because their id was. */
  duplicates: number;
  /** Events refused (kept as failed events or, for consent, bots and erased subjects, nowhere). */
  rejected: number;
}

/** Which failed events a replay reads. */
export interface FailedEventFilter {
  /** Only reasons containing this text. */
  reason?: string;
  /** Received at or after (epoch ms). */
  from?: number;
  /** Received before (epoch ms). */
  to?: number;
  /** Only failed events of this site. */
  siteId?: string;
}

/** A row of `waymark_failed_events`. */
export interface StoredFailedEvent {
  /** The event's id, or null when it had no string id. */
  id: string | null;
  /** The site whose write key sent it. */
  siteId: string;
  /** When it was received, epoch ms. */
  receivedAt: number;
  /** Why it was refused. */
  reason: string;
  /** The event as kept (JSON text; user id pseudonymised, URLs reduced). */
  payload: string;
}

/** A subject as stored: exactly one of the ids, `userId` already pseudonymised. */
export type StoredSubject = { userId: string; anonymousId?: undefined } | { anonymousId: string; userId?: undefined };

/** A subject on the suppression list: on one site when `siteId` is set, else on every site. */
export type SuppressedSubject = StoredSubject & { siteId?: string };

/** A bulk erasure job as the store keeps it. */
export interface ErasureJobRecord {
  id: string;
  createdAt: number;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** The subjects as stored (pseudonymised user ids). */
  subjects: StoredSubject[];
  /** How many subjects are erased so far. */
  done: number;
  /** Why subjects could not be erased everywhere, one line each. */
  errors: string[];
  finishedAt?: number;
  /** Set when the job erases the events of this site only. */
  siteId?: string;
}

/** Options of the collector's DuckDB store. */
export interface DuckdbStoreOptions {
  /** Database file (created if missing). Only this process may open it while the collector runs. */
  path: string;
  /**
   * DuckDB's `memory_limit`: how much memory its buffer pool (cached blocks, indexes, query state) may hold before
   * it evicts or spills to disk, such as `'512MB'` or `'2GB'`. DuckDB's own default is 80% of the machine's RAM,
   * which lets the store's memory grow for as long as the collector runs. @default '512MB'
   */
  memoryLimit?: string;
  /** DuckDB's worker threads (commits, checkpoints and read queries). @default the number of CPU cores */
  threads?: number;
}

const EVENTS = 'waymark_events';
const FAILED = 'waymark_failed_events';
const SUPPRESSIONS = 'waymark_suppressions';
const SITE_SUPPRESSIONS = 'waymark_site_suppressions';
const JOBS = 'waymark_erasure_jobs';
const INGEST_STATS = 'waymark_ingest_stats';
/** Tables `refreshRollups` (`@waymark/report`) derives from the events that hold a subject's rows. */
const DERIVED = { facts: 'waymark_facts', visitors: 'waymark_visitors' } as const;
/** The derived report tables (`refreshRollups` in `@waymark/report`) that hold ids of a subject: erasure and retention reach them. */
const SUBJECT_TABLES = [DERIVED.facts, DERIVED.visitors, 'waymark_sessions', 'waymark_post_visitors'];

/**
 * The `CREATE TABLE` statement of `waymark_ingest_stats`: events accepted, answered as duplicates and rejected, per
 * UTC day of receipt and site, so reports can show what never reached `waymark_events`.
 */
export function ingestStatsTableSql(): string {
  return `CREATE TABLE IF NOT EXISTS ${INGEST_STATS} (
  day DATE NOT NULL,
  site_id VARCHAR NOT NULL,
  accepted BIGINT NOT NULL,
  duplicates BIGINT NOT NULL,
  rejected BIGINT NOT NULL,
  PRIMARY KEY (day, site_id)
)`;
}

/**
 * The statements that make the suppression list (`waymark_suppressions`: every site; `waymark_site_suppressions`:
 * one site) and the bulk erasure jobs, or bring those of an older store up to date.
 */
export function dataRightsTablesSql(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${SUPPRESSIONS} (
  kind VARCHAR NOT NULL,
  subject_id VARCHAR NOT NULL,
  erased_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, subject_id)
)`,
    `CREATE TABLE IF NOT EXISTS ${SITE_SUPPRESSIONS} (
  site_id VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  subject_id VARCHAR NOT NULL,
  erased_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (site_id, kind, subject_id)
)`,
    `CREATE TABLE IF NOT EXISTS ${JOBS} (
  id VARCHAR PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL,
  status VARCHAR NOT NULL,
  subjects JSON NOT NULL,
  done INTEGER NOT NULL,
  errors JSON NOT NULL,
  finished_at TIMESTAMPTZ,
  site_id VARCHAR
)`,
    // Stores made before jobs could be limited to one site.
    `ALTER TABLE ${JOBS} ADD COLUMN IF NOT EXISTS site_id VARCHAR`,
  ];
}

/** Microseconds since the epoch, as DuckDB timestamps count them. */
const micros = (ms: number) => new DuckDBTimestampValue(BigInt(ms) * 1000n);

/** Event rows through the Appender, in the column order of `duckdbTableSql` (the values `duckdbSink` writes). */
function appendEventRows(appender: DuckDBAppender, rows: readonly EventRow[]): void {
  for (const row of rows) {
    for (const column of eventColumns) {
      const value = row[column];
      if (value === null) appender.appendNull();
      else if (typeof value === 'string') appender.appendVarchar(value);
      else if (column === 'sample_rate') appender.appendDouble(value);
      // A TIMESTAMP (UTC microseconds) into the TIMESTAMPTZ column: the Appender takes it as UTC whatever the session
      // time zone, through a direct binding (`appendTimestampTZ` builds a generic value, several times the cost).
      else appender.appendTimestamp(micros(value));
    }
    appender.endRow();
  }
}

function appendFailedRows(appender: DuckDBAppender, records: readonly FailedRecord[]): void {
  for (const r of records) {
    if (r.id === null) appender.appendNull();
    else appender.appendVarchar(r.id);
    appender.appendVarchar(r.siteId);
    appender.appendTimestamp(micros(r.receivedAt));
    appender.appendVarchar(r.reason);
    appender.appendVarchar(r.payload);
    appender.endRow();
  }
}

const toTimestamp = (ms: number) => new DuckDBTimestampTZValue(BigInt(Math.round(ms)) * 1000n);

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
/**
 * The DuckDB settings of the store's options (`memory_limit`, `threads`).
 * @throws {TypeError} naming the option when `memoryLimit` is not a size or `threads` not a whole number >= 1.
 */
export function duckdbStoreConfig({ memoryLimit = '512MB', threads }: Omit<DuckdbStoreOptions, 'path'>): Record<string, string> {
  if (typeof memoryLimit !== 'string' || !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memoryLimit)) {
    throw new TypeError(`[waymark] createCollector: \`store.memoryLimit\` must be a size such as '512MB' or '2GB', got ${JSON.stringify(memoryLimit)}`);
  }
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new TypeError('[waymark] createCollector: `store.threads` must be a whole number, at least 1');
  }
  const config: Record<string, string> = {
    memory_limit: memoryLimit,
    // Fewer, larger checkpoints than DuckDB's default (one per 16 MB of WAL) halve the CPU a stored event costs;
    // the rows not yet checkpointed are held in memory, so at most an eighth of the memory limit.
    checkpoint_threshold: `${Math.max(1, Math.min(64, Math.floor(sizeInBytes(memoryLimit) / 8 / 1048576)))}MB`,
  };
  if (threads !== undefined) config.threads = String(threads);
  return config;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** Bytes of a size such as `'512MB'` (already checked by `duckdbStoreConfig`). */
function sizeInBytes(size: string): number {
  const [, number, unit] = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(size.trim())!;
  return Number(number) * UNITS[unit.toLowerCase()];
}

/** Whether the events table still has the primary key older versions made (an index DuckDB keeps in memory). */
async function hasPrimaryKey(db: DuckDBConnection, table: string): Promise<boolean> {
  const reader = await db.runAndReadAll(
    `SELECT count(*) FROM duckdb_constraints() WHERE schema_name = 'main' AND table_name = $1 AND constraint_type = 'PRIMARY KEY'`,
    [table],
  );
  return Number(reader.getRows()[0][0]) > 0;
}

/**
 * Rewrites an events table made with a primary key on `id` without it, in one transaction (DuckDB cannot drop a
 * key): its index held about 100 bytes per stored event in memory, which would sooner or later exceed the memory
 * limit and fail every commit. Dedupe is the collector's own (see `createIdWindow`).
 */
async function dropPrimaryKey(db: DuckDBConnection, table: string): Promise<void> {
  const rebuilt = `${table}_rebuilt`;
  await db.run('BEGIN TRANSACTION');
  try {
    await db.run(`DROP TABLE IF EXISTS ${rebuilt}`);
    await db.run(duckdbTableSql(rebuilt, { primaryKey: false }));
    await db.run(`INSERT INTO ${rebuilt} SELECT * FROM ${table}`);
    await db.run(`DROP TABLE ${table}`);
    await db.run(`ALTER TABLE ${rebuilt} RENAME TO ${table}`);
    await db.run('COMMIT');
  } catch (error) {
    await db.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await db.run('CHECKPOINT');
}

/** Opens the DuckDB store: `waymark_events` (written by `duckdbSink`) and `waymark_failed_events` in one file. */
export async function openDuckdbStore({ path, ...settings }: DuckdbStoreOptions): Promise<CollectorStore> {
  const instance = await DuckDBInstance.create(path, duckdbStoreConfig(settings));
  let db: DuckDBConnection;
  try {
    db = await instance.connect();
    await db.run(failedEventsTableSql());
    // No primary key: its index would grow in memory with every event ever stored. The collector dedupes itself.
    await db.run(duckdbTableSql(EVENTS, { primaryKey: false }));
    if (await hasPrimaryKey(db, EVENTS)) await dropPrimaryKey(db, EVENTS);
    for (const sql of dataRightsTablesSql()) await db.run(sql);
    await db.run(ingestStatsTableSql());
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  // Group writes go through a connection of their own, so a transaction awaiting its COMMIT never takes in a read.
  let writer: DuckDBConnection;
  try {
    writer = await instance.connect();
  } catch (error) {
    db.closeSync();
    instance.closeSync();
    throw error;
  }
  const fallback = duckdbSink({ instance, table: EVENTS, primaryKey: false });
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };
  // Maintenance, erasure and purge: one at a time, each on its own connection or through `serial`.
  let exclusiveChain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = exclusiveChain.then(task);
    exclusiveChain = run.catch(() => undefined);
    return run;
  };
  let maintenance: DuckDBConnection | undefined;
  /** The derived tables that exist now, each with the subject columns it has (`user_id`, `session_id`, `day`). */
  const derivedTables = async (connection: DuckDBConnection): Promise<Map<string, Set<string>>> => {
    const reader = await connection.runAndReadAll(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'main' AND table_name IN (${SUBJECT_TABLES.map((t) => `'${t}'`).join(', ')})`,
    );
    const tables = new Map<string, Set<string>>();
    for (const [table, column] of reader.getRows()) {
      const columns = tables.get(String(table)) ?? new Set<string>();
      tables.set(String(table), columns.add(String(column)));
    }
    return tables;
  };
  let closed = false;
  // The writer's Appenders live as long as it: each group appends and flushes inside its own transaction.
  const appenders = new Map<string, DuckDBAppender>();
  const appenderOf = async (table: string) => {
    let found = appenders.get(table);
    if (!found) appenders.set(table, (found = await writer.createAppender(table)));
    return found;
  };
  const discardAppenders = () => {
    for (const found of appenders.values()) {
      try {
        // Rows left in an Appender after a refused flush must not reach the table when it closes.
        found.clear();
        found.closeSync();
      } catch {
        // Already refused: nothing of it is stored once the transaction rolls back.
      }
    }
    appenders.clear();
  };
  /**
   * One group in one transaction. The Appenders' flushes only fill the transaction's local storage on the event
   * loop; the COMMIT (WAL, fsync, automatic checkpoints) runs on a libuv worker thread meanwhile. False, with
   * nothing stored, when DuckDB refused an event row (a value it cannot convert); rejects when the commit fails.
   */
  const appendGroup = (rows: readonly EventRow[], failed: readonly FailedRecord[]) =>
    serial(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        if (rows.length > 0) {
          const appender = await appenderOf(EVENTS);
          appendEventRows(appender, rows);
          appender.flushSync();
        }
      } catch {
        discardAppenders();
        await writer.run('ROLLBACK').catch(() => undefined);
        return false;
      }
      try {
        if (failed.length > 0) {
          const appender = await appenderOf(FAILED);
          appendFailedRows(appender, failed);
          appender.flushSync();
        }
        await writer.run('COMMIT');
      } catch (error) {
        discardAppenders();
        await writer.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
      return true;
    });
  const writeGroup: CollectorStore['writeGroup'] = async (batch, failed) => {
    let rows: EventRow[] | undefined;
    try {
      rows = closed ? undefined : toEventRows(batch);
    } catch {
      // An event the sink fails alone: it reports which one and why.
    }
    if (rows && (await appendGroup(rows, failed))) return { written: rows.length, skipped: 0, failed: [], failedKept: true };
    // DuckDB refused a value: the sink finds which events and why, and stores the others.
    return { ...(await fallback.write(batch)), failedKept: false };
  };
  const events: Sink = {
    name: 'duckdb',
    async write(batch: readonly SinkEvent[]): Promise<WriteResult> {
      if (batch.length === 0) return fallback.write(batch);
      const { written, skipped, failed } = await writeGroup(batch, []);
      return { written, skipped, failed };
    },
    erase: (subject) => fallback.erase!(subject),
    close() {
      closed = true;
      return fallback.close!();
    },
  };
  /** Events received or happened since `$1` (epoch ms). */
  const since = `(received_at >= make_timestamptz($1::BIGINT * 1000) OR timestamp >= make_timestamptz($1::BIGINT * 1000))`;
  return {
    events,
    writeGroup,
    writeFailed(records) {
      if (records.length === 0) return Promise.resolve();
      return serial(async () => {
        const appender = await db.createAppender(FAILED);
        try {
          appendFailedRows(appender, records);
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      });
    },
    async storedFingerprints(from, add) {
      const connection = await instance.connect();
      try {
        const result = await connection.stream(
          `SELECT (h >> 32)::UINTEGER, (h & 4294967295)::UINTEGER, epoch_ms(greatest(coalesce(received_at, timestamp), timestamp))::DOUBLE
           FROM (SELECT md5_number_upper(id) AS h, received_at, timestamp FROM ${EVENTS} WHERE ${since})`,
          [Math.floor(from)],
        );
        let count = 0;
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) return count;
          const [hi, lo, at] = [0, 1, 2].map((i) => chunk.getColumnVector(i));
          for (let row = 0; row < chunk.rowCount; row++) add(hi.getItem(row) as number, lo.getItem(row) as number, at.getItem(row) as number);
          count += chunk.rowCount;
        }
      } finally {
        connection.closeSync();
      }
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
    async existingIds(ids, from) {
      if (ids.length === 0) return new Set();
      const reader =
        from === undefined
          ? await db.runAndReadAll(`SELECT id FROM ${EVENTS} WHERE id IN (SELECT unnest($1))`, [listValue([...ids])], [LIST(VARCHAR)])
          : await db.runAndReadAll(`SELECT id FROM ${EVENTS} WHERE ${since} AND id IN (SELECT unnest($2))`, [Math.floor(from), listValue([...ids])], [BIGINT, LIST(VARCHAR)]);
      return new Set(reader.getRows().map(([id]) => String(id)));
    },
    async connect() {
      const connection = await instance.connect();
      await connection.run("SET TimeZone = 'UTC'");
      return connection;
    },
    eraseSubjects(subjects, siteId) {
      const userIds = listValue(subjects.flatMap((s) => (s.userId === undefined ? [] : [s.userId])));
      const anonymousIds = listValue(subjects.flatMap((s) => (s.anonymousId === undefined ? [] : [s.anonymousId])));
      const params: DuckDBValue[] = [userIds, anonymousIds, ...(siteId === undefined ? [] : [siteId])];
      const types = [LIST(VARCHAR), LIST(VARCHAR), ...(siteId === undefined ? [] : [VARCHAR])];
      const bySubject = `(user_id IN (SELECT unnest($1)) OR anonymous_id IN (SELECT unnest($2)))`;
      const mine = siteId === undefined ? bySubject : `${bySubject} AND json_extract_string(context, '$.server.siteId') = $3`;
      return exclusive(() =>
        serial(async () => {
          await db.run('BEGIN TRANSACTION');
          try {
            // Derived rows first, while the subject's events still say which visitors and sessions were theirs: a
            // table without user_id (sessions, post readers) loses the rows of the anonymous ids and sessions that the
            // user's events carry.
            for (const [table, columns] of await derivedTables(db)) {
              const conditions: string[] = [];
              if (siteId === undefined) {
                conditions.push(`anonymous_id IN (SELECT unnest($2))`, `anonymous_id IN (SELECT anonymous_id FROM ${EVENTS} WHERE user_id IN (SELECT unnest($1)))`);
                if (columns.has('user_id')) conditions.push(`user_id IN (SELECT unnest($1))`);
                if (columns.has('session_id')) conditions.push(`session_id IN (SELECT session_id FROM ${EVENTS} WHERE ${mine})`);
              } else if (table === DERIVED.facts && columns.has('id')) {
                // One fact per event: exactly the site's events of the subject.
                conditions.push(`id IN (SELECT id FROM ${EVENTS} WHERE ${mine})`);
              } else if (columns.has('session_id')) {
                conditions.push(`session_id IN (SELECT session_id FROM ${EVENTS} WHERE ${mine})`);
              } else {
                // No site and no session in the table (visitors, post readers): the anonymous ids of the site's events
                // of the subject, which also reaches that anonymous id's rows of another site, if it has any there.
                conditions.push(`anonymous_id IN (SELECT anonymous_id FROM ${EVENTS} WHERE ${mine})`);
              }
              await db.run(`DELETE FROM ${table} WHERE ${conditions.join(' OR ')}`, params, types);
            }
            const events = await db.run(`DELETE FROM ${EVENTS} WHERE ${mine}`, params, types);
            const failed = await db.run(
              `DELETE FROM ${FAILED} WHERE (json_extract_string(payload, '$.userId') IN (SELECT unnest($1))
               OR json_extract_string(payload, '$.anonymousId') IN (SELECT unnest($2)))${siteId === undefined ? '' : ' AND site_id = $3'}`,
              params,
              types,
            );
            await db.run('COMMIT');
            return { events: events.rowsChanged, failedEvents: failed.rowsChanged };
          } catch (error) {
            await db.run('ROLLBACK').catch(() => undefined);
            throw error;
          }
        }),
      );
    },
    suppress(subjects, at, siteId) {
      if (subjects.length === 0) return Promise.resolve();
      const kinds = subjects.map((s) => (s.userId === undefined ? 'anonymous' : 'user'));
      const ids = subjects.map((s) => (s.userId ?? s.anonymousId) as string);
      return serial(async () => {
        if (siteId === undefined) {
          await db.run(
            `INSERT OR IGNORE INTO ${SUPPRESSIONS}
             SELECT DISTINCT kind, subject_id, $3 FROM (SELECT unnest($1) AS kind, unnest($2) AS subject_id)`,
            [listValue(kinds), listValue(ids), toTimestamp(at)],
            [LIST(VARCHAR), LIST(VARCHAR), TIMESTAMPTZ],
          );
        } else {
          await db.run(
            `INSERT OR IGNORE INTO ${SITE_SUPPRESSIONS}
             SELECT DISTINCT $4, kind, subject_id, $3 FROM (SELECT unnest($1) AS kind, unnest($2) AS subject_id)`,
            [listValue(kinds), listValue(ids), toTimestamp(at), siteId],
            [LIST(VARCHAR), LIST(VARCHAR), TIMESTAMPTZ, VARCHAR],
          );
        }
      });
    },
    async suppressed() {
      const reader = await serial(() =>
        db.runAndReadAll(`SELECT NULL::VARCHAR, kind, subject_id FROM ${SUPPRESSIONS} UNION ALL SELECT site_id, kind, subject_id FROM ${SITE_SUPPRESSIONS}`),
      );
      return reader.getRows().map(([siteId, kind, id]): SuppressedSubject => ({
        ...(kind === 'user' ? { userId: String(id) } : { anonymousId: String(id) }),
        ...(siteId === null ? {} : { siteId: String(siteId) }),
      }));
    },
    purge(before) {
      return exclusive(() =>
        serial(async () => {
          const at = toTimestamp(before);
          await db.run('BEGIN TRANSACTION');
          try {
            const gone = await db.run(`DELETE FROM ${EVENTS} WHERE timestamp < $1`, [at]);
            const failedGone = await db.run(`DELETE FROM ${FAILED} WHERE received_at < $1`, [at]);
            const derived = await derivedTables(db);
            if (derived.has(DERIVED.facts)) await db.run(`DELETE FROM ${DERIVED.facts} WHERE ts_ms < $1`, [before]);
            // Per-day rows with visitor ids (sessions, post readers) go with the days wholly before the cut.
            for (const [table, columns] of derived) {
              if (table !== DERIVED.facts && columns.has('day')) await db.run(`DELETE FROM ${table} WHERE day < CAST($1 AS DATE)`, [new Date(before).toISOString().slice(0, 10)]);
            }
            // A visitor row outlives its events only as long as some event of that anonymous id is kept.
            if (derived.has(DERIVED.visitors)) {
              await db.run(`DELETE FROM ${DERIVED.visitors} WHERE anonymous_id NOT IN (SELECT DISTINCT anonymous_id FROM ${EVENTS})`);
            }
            await db.run('COMMIT');
            return { events: gone.rowsChanged, failedEvents: failedGone.rowsChanged };
          } catch (error) {
            await db.run('ROLLBACK').catch(() => undefined);
            throw error;
          }
        }),
      );
    },
    recordIngestStats(rows) {
      if (rows.length === 0) return Promise.resolve();
      return serial(async () => {
        await db.run(
          `INSERT INTO ${INGEST_STATS}
           SELECT CAST(unnest($1) AS DATE), unnest($2), unnest($3), unnest($4), unnest($5)
           ON CONFLICT (day, site_id) DO UPDATE SET
             accepted = ${INGEST_STATS}.accepted + excluded.accepted,
             duplicates = ${INGEST_STATS}.duplicates + excluded.duplicates,
             rejected = ${INGEST_STATS}.rejected + excluded.rejected`,
          [
            listValue(rows.map((r) => r.day)),
            listValue(rows.map((r) => r.siteId)),
            listValue(rows.map((r) => BigInt(r.accepted))),
            listValue(rows.map((r) => BigInt(r.duplicates))),
            listValue(rows.map((r) => BigInt(r.rejected))),
          ],
          [LIST(VARCHAR), LIST(VARCHAR), LIST(BIGINT), LIST(BIGINT), LIST(BIGINT)],
        );
      });
    },
    maintain(task) {
      return exclusive(async () => {
        if (closed) throw new Error('[waymark] the store is closed');
        if (!maintenance) {
          maintenance = await instance.connect();
          await maintenance.run("SET TimeZone = 'UTC'");
        }
        return task(maintenance);
      });
    },
    async *failedEvents({ reason, from, to, siteId }) {
      const connection = await instance.connect();
      try {
        const where: string[] = [];
        const params: DuckDBValue[] = [];
        const param = (value: DuckDBValue) => {
          params.push(value);
          return `$${params.length}`;
        };
        if (reason !== undefined) where.push(`contains(reason, ${param(reason)})`);
        if (from !== undefined) where.push(`received_at >= ${param(toTimestamp(from))}`);
        if (to !== undefined) where.push(`received_at < ${param(toTimestamp(to))}`);
        if (siteId !== undefined) where.push(`site_id = ${param(siteId)}`);
        const result = await connection.stream(
          `SELECT id, site_id, epoch_ms(received_at), reason, payload FROM ${FAILED}
           ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at, id`,
          params,
        );
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) return;
          yield (chunk.getRows() as unknown[][]).map(([id, siteId, receivedAt, why, payload]) => ({
            id: id === null ? null : String(id),
            siteId: String(siteId),
            receivedAt: Number(receivedAt),
            reason: String(why),
            payload: String(payload),
          }));
        }
      } finally {
        connection.closeSync();
      }
    },
    deleteFailed(keys) {
      if (keys.length === 0) return Promise.resolve(0);
      return serial(async () => {
        const result = await db.run(
          `DELETE FROM ${FAILED} USING (SELECT unnest($1) AS id, unnest($2) AS site_id, unnest($3) AS at) AS gone
           WHERE ${FAILED}.id = gone.id AND ${FAILED}.site_id = gone.site_id AND epoch_ms(${FAILED}.received_at) = gone.at`,
          [listValue(keys.map((k) => k.id)), listValue(keys.map((k) => k.siteId)), listValue(keys.map((k) => BigInt(k.receivedAt)))],
          [LIST(VARCHAR), LIST(VARCHAR), LIST(BIGINT)],
        );
        return result.rowsChanged;
      });
    },
    saveJob(job) {
      return serial(async () => {
        await db.run(
          `INSERT OR REPLACE INTO ${JOBS} (id, created_at, status, subjects, done, errors, finished_at, site_id)
           VALUES ($1, to_timestamp($2::DOUBLE / 1000), $3, $4, $5, $6, to_timestamp($7::DOUBLE / 1000), $8)`,
          [job.id, job.createdAt, job.status, JSON.stringify(job.subjects), job.done, JSON.stringify(job.errors), job.finishedAt ?? null, job.siteId ?? null],
        );
      });
    },
    async jobs() {
      const reader = await serial(() =>
        db.runAndReadAll(`SELECT id, epoch_ms(created_at), status, subjects, done, errors, epoch_ms(finished_at), site_id FROM ${JOBS} ORDER BY created_at, id`),
      );
      return reader.getRows().map(([id, createdAt, status, subjects, done, errors, finishedAt, siteId]) => ({
        id: String(id),
        createdAt: Number(createdAt),
        status: status as ErasureJobRecord['status'],
        subjects: JSON.parse(String(subjects)) as StoredSubject[],
        done: Number(done),
        errors: JSON.parse(String(errors)) as string[],
        ...(finishedAt === null ? {} : { finishedAt: Number(finishedAt) }),
        ...(siteId === null ? {} : { siteId: String(siteId) }),
      }));
    },
    async memoryByTag() {
      const reader = await serial(() => db.runAndReadAll('SELECT lower(tag), memory_usage_bytes FROM duckdb_memory() ORDER BY tag'));
      return Object.fromEntries(reader.getRows().map(([tag, bytes]) => [String(tag), Number(bytes)]));
    },
    async close() {
      await events.close?.();
      await exclusive(async () => {
        closed = true;
        maintenance?.closeSync();
        maintenance = undefined;
      });
      await serial(async () => {
        discardAppenders();
        writer.closeSync();
        db.closeSync();
        instance.closeSync();
      });
    },
  };
}
