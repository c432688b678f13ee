// Writes a synthetic readership straight into a DuckDB store file, exactly as the collector would have stored it:
// the collector's tables, the rows `toEventRow()` gives for the enriched events, and a few hundred failed events.
// Ten million events load in a few minutes (rows go to DuckDB as tab-separated chunks it parses on its own threads
// while the next chunk is generated; the Appender is the other `method`); a file built for the same options is reused.
//
// Run: npx tsx --conditions=@waymark/source scripts/synthetic/loadSyntheticStore.ts --events 1000000 [--path file.duckdb] [--seed 42] [--method csv|appender] [--force]
// (default path: .waymark/synthetic-<seed>-<events>.duckdb)
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { dataRightsTablesSql, failedEventsTableSql } from '@waymark/collector';
import { eventColumns } from '@waymark/sinks';
import type { EventRow } from '@waymark/sinks';
import { duckdbTableSql } from '@waymark/sinks/duckdb';
import { createRandom, cumulative, mixSeed } from './createRandom';
import { failedRow, failureKinds } from './failedEvents';
import type { FailedRow, FailureKind } from './failedEvents';
import { generateReadership, readershipVersion } from './generateReadership';
import type { ReadershipOptions } from './generateReadership';
import { periodStart } from './readershipModel';
import { deliveryOf, sampleRateOf, toEnvelope } from './toEnvelope';
import { storedRows } from './toStoredRow';

/** Options of {@link loadSyntheticStore}. */
export interface SyntheticStoreOptions {
  /** The DuckDB file to write (replaced unless it was built for the same options). */
  path: string;
  /** Seed of the readership. */
  seed: number;
  /** About how many stored events to write; the number of visitors is chosen to give it (within a few percent). */
  events: number;
  /** Start of the period. @default '2026-03-01T00:00:00.000Z' */
  start?: ReadershipOptions['start'];
  /** Length of the period in days. @default 30 */
  days?: number;
  /** Site id stamped as `context.server.siteId`. @default 'blog' */
  siteId?: string;
  /** Origin of the blog's URLs. @default 'https://blog.example' */
  origin?: string;
  /** Rows written to the failed-events table. @default 300 */
  failedEvents?: number;
  /** Build the file even when a matching one exists. @default false */
  force?: boolean;
  /** DuckDB `memory_limit` while loading. @default '4GB' */
  memoryLimit?: string;
  /**
   * How rows reach DuckDB. `csv` writes tab-separated chunk files that DuckDB parses on its own threads while the
   * next chunk is generated, so both cores work; `appender` appends each value through the Appender on the
   * JavaScript thread, which then does everything (measured here: 1M events in 35 s against 48 s, with 22 against
   * 30 s of CPU). Both store the same rows. @default 'csv'
   */
  method?: 'csv' | 'appender';
  /** Called about every 100,000 events while loading. */
  onProgress?: (progress: { written: number; target: number; elapsedMs: number }) => void;
}

/** What {@link loadSyntheticStore} wrote (or found already written). */
export interface SyntheticStoreSummary {
  path: string;
  seed: number;
  start: string;
  days: number;
  siteId: string;
  origin?: string;
  /** The `events` asked for. */
  requested: number;
  /** Visitors generated to give about that many events. */
  visitors: number;
  /** Rows in `waymark_events`. */
  events: number;
  /** Rows in `waymark_events` per event name. */
  byName: Record<string, number>;
  /** Rows in `waymark_failed_events`. */
  failedEvents: number;
  /** Rows in `waymark_failed_events` per kind of failure. */
  failedByKind: Record<string, number>;
  /** Version of the generator that wrote the file. */
  version: number;
  /** Seconds the load took (of the run that built the file). */
  seconds: number;
  /** The file existed for the same options and was not rebuilt. */
  reused: boolean;
}

/** Defaults of {@link loadSyntheticStore}. */
export const syntheticStoreDefaults = { start: '2026-03-01T00:00:00.000Z', days: 30, siteId: 'blog', failedEvents: 300 } as const;

/** The stored events a readership of `visitors` visitors gives: after consent and sampling, as the collector keeps them. */
export function countStoredEvents(options: ReadershipOptions): number {
  let count = 0;
  for (const visit of generateReadership(options)) {
    if (!visit.visitor.consentSnapshot.analytics) continue;
    for (const action of visit.actions) if (sampleRateOf(action.name, visit.sessionId) !== 0) count++;
  }
  return count;
}

const CALIBRATION_VISITORS = 4000;

/** Visitors needed for about `events` stored events, from the rate of a fixed sample of visitors. */
function visitorsFor(options: Omit<ReadershipOptions, 'visitors'>, events: number): number {
  const sample = countStoredEvents({ ...options, visitors: CALIBRATION_VISITORS });
  return Math.max(1, Math.round((events * CALIBRATION_VISITORS) / sample));
}

const expectedColumns = 'id,type,name,schema,timestamp,received_at,anonymous_id,user_id,session_id,page_path,page_route,page_referrer,country,locale,screen,utm_source,utm_medium,utm_campaign,sample_rate,properties,traits,context';

const varchar = (appender: DuckDBAppender, value: string | null) => (value === null ? appender.appendNull() : appender.appendVarchar(value));
const timestamp = (appender: DuckDBAppender, ms: number | null) =>
  ms === null ? appender.appendNull() : appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(ms) * 1000n));

/** One row in the column order of `duckdbTableSql()` (checked against `eventColumns` before loading). */
function appendEvent(appender: DuckDBAppender, row: EventRow): void {
  appender.appendVarchar(row.id);
  appender.appendVarchar(row.type);
  appender.appendVarchar(row.name);
  appender.appendVarchar(row.schema);
  timestamp(appender, row.timestamp);
  timestamp(appender, row.received_at);
  appender.appendVarchar(row.anonymous_id);
  varchar(appender, row.user_id);
  appender.appendVarchar(row.session_id);
  appender.appendVarchar(row.page_path);
  varchar(appender, row.page_route);
  varchar(appender, row.page_referrer);
  varchar(appender, row.country);
  varchar(appender, row.locale);
  varchar(appender, row.screen);
  varchar(appender, row.utm_source);
  varchar(appender, row.utm_medium);
  varchar(appender, row.utm_campaign);
  appender.appendDouble(row.sample_rate);
  appender.appendVarchar(row.properties);
  varchar(appender, row.traits);
  appender.appendVarchar(row.context);
  appender.endRow();
}

/** Where the loader puts rows: the Appender, or chunk files DuckDB loads in the background. */
interface RowWriter {
  add(row: EventRow): void;
  /** Called between visits: commits or hands over a chunk when one is full. */
  settle(): Promise<void>;
  /** Writes what is left and waits until DuckDB has it all. */
  finish(): Promise<void>;
  /** Releases what is open after a failure. */
  abort(): Promise<void>;
}

async function appenderWriter(db: DuckDBConnection): Promise<RowWriter> {
  const appender = await db.createAppender('waymark_events');
  let pending = 0;
  let closed = false;
  return {
    add(row) {
      appendEvent(appender, row);
      pending++;
    },
    async settle() {
      // Each flush commits: the transaction (and the write-ahead log it fills) stays small.
      if (pending >= FLUSH_EVERY) {
        appender.flushSync();
        pending = 0;
      }
    },
    async finish() {
      closed = true;
      appender.flushSync();
      appender.closeSync();
    },
    async abort() {
      if (closed) return;
      closed = true;
      try {
        appender.closeSync();
      } catch {
        // The failure that got us here is the one to report.
      }
    },
  };
}

const csvNull = '\\N';
const csvColumns = eventColumns
  .map((column) => `'${column}': '${column === 'timestamp' || column === 'received_at' ? 'BIGINT' : column === 'sample_rate' ? 'DOUBLE' : 'VARCHAR'}'`)
  .join(', ');
const csvSelect = eventColumns.map((column) => (column === 'timestamp' || column === 'received_at' ? `make_timestamptz(${column} * 1000)` : column)).join(', ');

/** The row as one tab-separated line. No value holds a tab or a line break: JSON text escapes them, and the other values come from fixed vocabularies. */
function csvLine(row: EventRow): string {
  return `${row.id}\t${row.type}\t${row.name}\t${row.schema}\t${row.timestamp}\t${row.received_at ?? csvNull}\t${row.anonymous_id}\t${row.user_id ?? csvNull}\t${row.session_id}\t${row.page_path}\t${row.page_route ?? csvNull}\t${row.page_referrer ?? csvNull}\t${row.country ?? csvNull}\t${row.locale ?? csvNull}\t${row.screen ?? csvNull}\t${row.utm_source ?? csvNull}\t${row.utm_medium ?? csvNull}\t${row.utm_campaign ?? csvNull}\t${row.sample_rate}\t${row.properties}\t${row.traits ?? csvNull}\t${row.context}\n`;
}

function csvWriter(db: DuckDBConnection, prefix: string): RowWriter {
  let chunk = 0;
  let file = '';
  let fd = -1;
  let rows = 0;
  // Lines are encoded into one reused buffer and written in 4 MB pieces: no string outlives its row.
  const buffer = Buffer.allocUnsafe(4 << 20);
  let used = 0;
  let loading: Promise<unknown> = Promise.resolve();
  const drain = () => {
    writeSync(fd, buffer, 0, used);
    used = 0;
  };
  const handOver = async () => {
    if (fd < 0) return;
    drain();
    closeSync(fd);
    fd = -1;
    rows = 0;
    const loaded = file;
    // One load at a time; the next chunk is generated while DuckDB parses this one on its own threads.
    await loading;
    const literal = `'${loaded.replace(/'/g, "''")}'`;
    loading = db
      .run(
        `INSERT INTO waymark_events SELECT ${csvSelect} FROM read_csv(${literal}, delim = '\t', quote = '', escape = '', header = false, nullstr = '\\N', auto_detect = false, columns = {${csvColumns}})`,
      )
      .finally(() => rmSync(loaded, { force: true }));
  };
  return {
    add(row) {
      if (fd < 0) {
        file = `${prefix}.${chunk++}.tsv`;
        fd = openSync(file, 'w');
      }
      const line = csvLine(row);
      // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
      if (used + line.length * 3 > buffer.length) drain();
      used += buffer.write(line, used);
      rows++;
    },
    async settle() {
      if (rows >= CSV_CHUNK) await handOver();
    },
    async finish() {
      await handOver();
      await loading;
    },
    async abort() {
      if (fd >= 0) closeSync(fd);
      await loading.catch(() => undefined);
      for (let i = 0; i < chunk; i++) rmSync(`${prefix}.${i}.tsv`, { force: true });
    },
  };
}

async function appendFailed(db: DuckDBConnection, rows: readonly FailedRow[]): Promise<void> {
  const appender = await db.createAppender('waymark_failed_events');
  try {
    for (const row of rows) {
      varchar(appender, row.id);
      appender.appendVarchar(row.site_id);
      timestamp(appender, row.received_at);
      appender.appendVarchar(row.reason);
      appender.appendVarchar(row.payload);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

type CacheKey = Pick<SyntheticStoreSummary, 'version' | 'seed' | 'start' | 'days' | 'siteId' | 'origin' | 'requested'> & { failedRequested: number };

interface Manifest {
  key: CacheKey;
  bytes: number;
  summary: Omit<SyntheticStoreSummary, 'path' | 'reused'>;
}

const manifestPath = (path: string) => `${path}.manifest.json`;

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(manifestPath(path), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function removeStore(path: string): void {
  for (const file of [path, `${path}.wal`]) rmSync(file, { force: true });
}

/** Rows the Appender takes between two flushes. */
const FLUSH_EVERY = 200_000;
/**
 * Rows per chunk file of the `csv` method (about 800 MB; at most two exist at a time). Each chunk's insert ends with
 * a checkpoint, whose cost grows with the table (its primary-key index), so fewer, larger chunks load faster: for
 * 4M events, 1M-row chunks took about 60 % of the CPU time of 500k-row chunks here.
 */
const CSV_CHUNK = 1_000_000;

/**
 * Writes a synthetic readership into a DuckDB file laid out as the collector's store: `waymark_events`
 * (`duckdbTableSql()`, rows as `toEventRow()` makes them from the collector's enriched events), the failed-events
 * table with a few hundred refused events, and the empty data-rights tables. Declined visitors send nothing and
 * sampled-out events are not there, as with a real collector; `userId` is stored as sent (not pseudonymised).
 * A file built earlier for the same options (and generator version) is reused: see its `.manifest.json`.
 *
 * @example
 * const summary = await loadSyntheticStore({ path: 'bench.duckdb', seed: 42, events: 10_000_000 });
 * console.log(`${summary.events} events, ${summary.seconds} s`);
 */
export async function loadSyntheticStore(options: SyntheticStoreOptions): Promise<SyntheticStoreSummary> {
  if (eventColumns.join(',') !== expectedColumns) {
    throw new Error(`[waymark] loadSyntheticStore: the events table's columns changed (${eventColumns.join(', ')}); update appendEvent`);
  }
  if (!(Number.isInteger(options.events) && options.events >= 1)) throw new TypeError('[waymark] loadSyntheticStore: `events` must be a whole number, at least 1');
  const path = resolve(options.path);
  const start = new Date(periodStart(options.start ?? syntheticStoreDefaults.start)).toISOString();
  const days = options.days ?? syntheticStoreDefaults.days;
  const siteId = options.siteId ?? syntheticStoreDefaults.siteId;
  const failedTarget = options.failedEvents ?? syntheticStoreDefaults.failedEvents;
  const key: CacheKey = { version: readershipVersion, seed: options.seed, start, days, siteId, origin: options.origin, requested: options.events, failedRequested: failedTarget };
  const manifest = readManifest(path);
  if (!options.force && manifest && JSON.stringify(manifest.key) === JSON.stringify(key) && existsSync(path) && statSync(path).size === manifest.bytes) {
    return { ...manifest.summary, path, reused: true };
  }
  mkdirSync(dirname(path), { recursive: true });
  rmSync(manifestPath(path), { force: true });
  removeStore(path);
  const partial = `${path}.partial`;
  removeStore(partial);

  const began = performance.now();
  const readership = { seed: options.seed, start, days, origin: options.origin };
  const visitors = visitorsFor(readership, options.events);
  const instance = await DuckDBInstance.create(partial, { memory_limit: options.memoryLimit ?? '4GB' });
  const byName: Record<string, number> = {};
  const failedByKind: Record<string, number> = {};
  const failed: FailedRow[] = [];
  let written = 0;
  try {
    const db = await instance.connect();
    try {
      // Chunks load in order; rows inside one may be stored in any order, which lets DuckDB insert on all threads.
      await db.run('SET preserve_insertion_order = false');
      await db.run(duckdbTableSql('waymark_events'));
      await db.run(failedEventsTableSql());
      for (const sql of dataRightsTablesSql()) await db.run(sql);
      const kinds = Object.keys(failureKinds) as FailureKind[];
      const kindSums = cumulative(kinds.map((kind) => failureKinds[kind]));
      const failedStride = Math.max(1, Math.floor(options.events / Math.max(1, failedTarget)));
      let nextFailed = Math.floor(failedStride / 2);
      let reported = 0;
      const writer = options.method === 'appender' ? await appenderWriter(db) : csvWriter(db, partial);
      try {
        for (const visit of generateReadership({ ...readership, visitors })) {
          const rows = storedRows(visit, { seed: options.seed, siteId });
          let first = -1;
          for (let i = 0; i < rows.length; i++) {
            const row = rows[i];
            if (row === undefined) continue;
            if (first < 0) first = i;
            writer.add(row);
            byName[row.name] = (byName[row.name] ?? 0) + 1;
            written++;
          }
          if (first >= 0 && written >= nextFailed && failed.length < failedTarget) {
            // A broken sibling of the visit's first event, refused by the collector when it arrived.
            nextFailed += failedStride;
            const kind = createRandom(mixSeed(options.seed, failed.length, 0xfa11)).weighted(kinds, kindSums);
            failed.push(failedRow(toEnvelope(visit, first)!, kind, deliveryOf(visit, first).receivedAt, siteId, mixSeed(visit.idSeed, failed.length)));
            failedByKind[kind] = (failedByKind[kind] ?? 0) + 1;
          }
          await writer.settle();
          if (options.onProgress && written - reported >= 100_000) {
            reported = written;
            options.onProgress({ written, target: options.events, elapsedMs: performance.now() - began });
          }
        }
        await writer.finish();
      } catch (error) {
        await writer.abort();
        throw error;
      }
      await appendFailed(db, failed);
      await db.run('CHECKPOINT');
    } finally {
      db.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  renameSync(partial, path);
  rmSync(`${partial}.wal`, { force: true });
  const summary: SyntheticStoreSummary = {
    path,
    seed: options.seed,
    start,
    days,
    siteId,
    ...(options.origin ? { origin: options.origin } : {}),
    requested: options.events,
    visitors,
    events: written,
    byName,
    failedEvents: failed.length,
    failedByKind,
    version: readershipVersion,
    seconds: Math.round((performance.now() - began) / 100) / 10,
    reused: false,
  };
  const { path: _path, reused: _reused, ...kept } = summary;
  const next: Manifest = { key, bytes: statSync(path).size, summary: kept };
  writeFileSync(`${manifestPath(path)}.partial`, JSON.stringify(next, null, 2));
  renameSync(`${manifestPath(path)}.partial`, manifestPath(path));
  return summary;
}

async function main() {
  const { values } = parseArgs({
    options: {
      path: { type: 'string' },
      events: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '42' },
      days: { type: 'string', default: String(syntheticStoreDefaults.days) },
      start: { type: 'string', default: syntheticStoreDefaults.start },
      method: { type: 'string', default: 'csv' },
      force: { type: 'boolean', default: false },
    },
  });
  const events = Number(values.events);
  const seed = Number(values.seed);
  if (values.method !== 'csv' && values.method !== 'appender') throw new Error(`[waymark] --method must be csv or appender, got ${values.method}`);
  const cpuBefore = process.cpuUsage();
  let lastMillion = 0;
  let lastAt = 0;
  const summary = await loadSyntheticStore({
    // `.waymark/` is git-ignored.
    path: values.path ?? `.waymark/synthetic-${seed}-${events}.duckdb`,
    seed,
    events,
    days: Number(values.days),
    start: values.start,
    force: values.force,
    method: values.method,
    onProgress({ written, elapsedMs }) {
      const million = Math.floor(written / 1_000_000);
      if (million > lastMillion) {
        console.log(`[waymark] ${million}M events in ${(elapsedMs / 1000).toFixed(1)} s (this million: ${((elapsedMs - lastAt) / 1000).toFixed(1)} s)`);
        lastMillion = million;
        lastAt = elapsedMs;
      }
    },
  });
  const rate = summary.events / summary.seconds;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    summary.reused
      ? `[waymark] reused ${summary.path}: ${summary.events} events, ${summary.failedEvents} failed events (built in ${summary.seconds} s)`
      : `[waymark] wrote ${summary.path}: ${summary.events} events from ${summary.visitors} visitors and ${summary.failedEvents} failed events in ${summary.seconds} s (${Math.round(rate)} events/s, ${(1_000_000 / rate).toFixed(1)} s per million; ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU on all threads)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
