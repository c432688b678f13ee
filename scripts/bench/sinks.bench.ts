// Sustained events/s of each sink next to the raw driver's best bulk insert of the same envelopes into the same
// table layout, measured side by side in one run on this machine (ratios matter; absolute numbers are noisy).
// Run with `npx tsx scripts/bench/sinks.bench.ts [events]` (default 200000 for databases, a quarter for NATS/HTTP).
// Servers: WAYMARK_PG_URL, WAYMARK_CLICKHOUSE_URL, WAYMARK_NATS_URL (defaults on 127.0.0.1); a missing one is skipped.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient } from '@clickhouse/client';
import { DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { clickhouseSink, clickhouseTableSql } from '../../packages/sinks/src/clickhouseSink';
import { duckdbSink, duckdbTableSql } from '../../packages/sinks/src/duckdbSink';
import { eventColumns, toEventRow } from '../../packages/sinks/src/eventRow';
import { fileSink } from '../../packages/sinks/src/fileSink';
import { httpSink } from '../../packages/sinks/src/httpSink';
import { natsSink } from '../../packages/sinks/src/natsSink';
import { postgresSink, postgresTableSql } from '../../packages/sinks/src/postgresSink';
import type { Sink, SinkEvent } from '../../packages/sinks/src/sink';
import { hostPort, makeEvents, portOpen, uniqueName } from '../../packages/sinks/src/testSupport';

const total = Number(process.argv[2] ?? 200_000);
const sinkBatch = 5000; // what a collector hands a sink through batchingSink
const rawBatch = 50_000; // the raw driver gets its best case: few, large bulk inserts
const pgUrl = process.env.WAYMARK_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const chUrl = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const natsUrl = process.env.WAYMARK_NATS_URL ?? 'nats://127.0.0.1:4222';

interface Row {
  adapter: string;
  events: number;
  sink?: number;
  raw?: number;
  note?: string;
}
const rows: Row[] = [];

function slices<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function rate(count: number, run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return count / ((performance.now() - started) / 1000);
}

async function sinkRate(sink: Sink, events: SinkEvent[]): Promise<number> {
  const result = await rate(events.length, async () => {
    for (const batch of slices(events, sinkBatch)) {
      const written = await sink.write(batch);
      if (written.failed.length > 0) throw new Error(`${sink.name}: ${written.failed[0].reason}`);
    }
  });
  await sink.close?.();
  return result;
}

async function bench(adapter: string, count: number, available: boolean | string, measure: () => Promise<{ sink: number; raw: number }>) {
  if (available !== true) {
    rows.push({ adapter, events: count, note: typeof available === 'string' ? available : 'server not reachable, skipped' });
    return;
  }
  process.stdout.write(`measuring ${adapter} (${count} events)...\n`);
  try {
    rows.push({ adapter, events: count, ...(await measure()) });
  } catch (error) {
    rows.push({ adapter, events: count, note: `failed: ${(error as Error).message.slice(0, 120)}` });
  }
}

const events = makeEvents(total);
const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));

try {
  await bench('file', total, true, async () => {
    const raw = await rate(total, async () => {
      const handle = await open(join(dir, 'raw.ndjson'), 'a');
      for (const batch of slices(events, rawBatch)) {
        await handle.write(`${batch.map((e) => JSON.stringify(e)).join('\n')}\n`);
        await handle.sync();
      }
      await handle.close();
    });
    const sink = await sinkRate(fileSink({ dir: join(dir, 'sink') }), events);
    return { sink, raw };
  });

  await bench('duckdb', total, true, async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(duckdbTableSql('raw_events'));
    const raw = await rate(total, async () => {
      for (const batch of slices(events, rawBatch)) {
        const appender = await connection.createAppender('raw_events');
        for (const event of batch) {
          const row = toEventRow(event);
          for (const column of eventColumns) {
            const value = row[column];
            if (value === null) appender.appendNull();
            else if (column === 'timestamp' || column === 'received_at') appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(value as number) * 1000n));
            else if (column === 'sample_rate') appender.appendDouble(value as number);
            else appender.appendVarchar(value as string);
          }
          appender.endRow();
        }
        appender.closeSync();
      }
    });
    const sink = await sinkRate(duckdbSink({ connection, table: 'sink_events' }), events);
    connection.closeSync();
    instance.closeSync();
    return { sink, raw };
  });

  const pgTarget = hostPort(pgUrl, 5432);
  await bench('postgres', total, await portOpen(pgTarget.port, pgTarget.host), async () => {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
    const rawTable = uniqueName('bench_raw');
    const sinkTable = uniqueName('bench_sink');
    try {
      await pool.query(postgresTableSql(rawTable));
      const client = await pool.connect();
      const escape = (v: unknown) => (v === null ? '\\N' : String(v).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));
      const raw = await rate(total, async () => {
        for (const batch of slices(events, rawBatch)) {
          const lines = batch.map((event) => {
            const row = toEventRow(event);
            return `${eventColumns
              .map((c) => (c === 'timestamp' || c === 'received_at') && row[c] !== null ? new Date(row[c] as number).toISOString() : row[c])
              .map(escape)
              .join('\t')}\n`;
          });
          await pipeline(Readable.from(lines), client.query(copyStreams.from(`COPY ${rawTable} (${eventColumns.join(', ')}) FROM STDIN`)));
        }
      });
      client.release();
      const sink = await sinkRate(postgresSink({ connectionString: pgUrl, table: sinkTable }), events);
      return { sink, raw };
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${rawTable}; DROP TABLE IF EXISTS ${sinkTable}`);
      await pool.end();
    }
  });

  const chTarget = hostPort(chUrl, 8123);
  await bench('clickhouse', total, await portOpen(chTarget.port, chTarget.host), async () => {
    const client = createClient({ url: chUrl });
    const rawTable = uniqueName('bench_raw');
    const sinkTable = uniqueName('bench_sink');
    try {
      await client.command({ query: clickhouseTableSql('default', rawTable) });
      const raw = await rate(total, async () => {
        for (const batch of slices(events, rawBatch)) {
          const values = batch.map((event) => {
            const row = toEventRow(event);
            return { ...row, timestamp: Math.floor(row.timestamp / 1000), timestamp_ms: row.timestamp, received_at: null };
          });
          await client.insert({ table: `default.${rawTable}`, values, format: 'JSONEachRow' });
        }
      });
      const sink = await sinkRate(clickhouseSink({ url: chUrl, table: sinkTable }), events);
      return { sink, raw };
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS default.${rawTable}` });
      await client.command({ query: `DROP TABLE IF EXISTS default.${sinkTable}` });
      await client.close();
    }
  });

  const natsCount = Math.ceil(total / 4);
  const natsTarget = hostPort(natsUrl, 4222);
  await bench('nats', natsCount, await portOpen(natsTarget.port, natsTarget.host), async () => {
    const natsEvents = events.slice(0, natsCount);
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    const rawStream = uniqueName('BENCH_RAW').toUpperCase();
    const sinkStream = uniqueName('BENCH_SINK').toUpperCase();
    try {
      await jsm.streams.add({ name: rawStream, subjects: [`${rawStream.toLowerCase()}.>`], duplicate_window: nanos(300_000) });
      const js = jetstream(nc);
      const raw = await rate(natsCount, async () => {
        for (const batch of slices(natsEvents, 1000)) {
          await Promise.all(batch.map((e) => js.publish(`${rawStream.toLowerCase()}.${e.type}.${e.name}`, JSON.stringify(e))));
        }
      });
      const sink = await sinkRate(natsSink({ servers: natsUrl, stream: sinkStream, subjectPrefix: sinkStream.toLowerCase() }), natsEvents);
      return { sink, raw };
    } finally {
      await jsm.streams.delete(rawStream).catch(() => undefined);
      await jsm.streams.delete(sinkStream).catch(() => undefined);
      await nc.close();
    }
  });

  const httpCount = Math.ceil(total / 4);
  await bench('http (webhook)', httpCount, true, async () => {
    const httpEvents = events.slice(0, httpCount);
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
    try {
      const raw = await rate(httpCount, async () => {
        for (const batch of slices(httpEvents, 500)) {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sentAt: new Date().toISOString(), events: batch }) });
          await response.text();
        }
      });
      const sink = await sinkRate(httpSink({ url, secret: 'bench-secret-0123456789' }), httpEvents);
      return { sink, raw };
    } finally {
      server.close();
    }
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (n?: number) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));
console.log(`\nSink throughput vs the raw driver (sink writes ${sinkBatch}-event batches; raw gets ${rawBatch}-row bulk inserts;`);
console.log('NATS raw: same publishes without a message id, 1000 in flight; HTTP raw: unsigned POSTs of 500 events)\n');
console.log(`| adapter | events | sink events/s | raw driver events/s | ratio |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
for (const row of rows) {
  const ratio = row.sink && row.raw ? `${Math.round((row.sink / row.raw) * 100)}%` : row.note ?? '-';
  console.log(`| ${row.adapter} | ${row.events.toLocaleString('en-US')} | ${fmt(row.sink)} | ${fmt(row.raw)} | ${ratio} |`);
}
const below = rows.filter((r) => r.sink && r.raw && r.sink / r.raw < 0.5).map((r) => r.adapter);
console.log(below.length ? `\nbelow the 50% goal: ${below.join(', ')}` : '\nevery measured adapter is at or above 50% of its raw driver');
