import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { dataRightsTablesSql, failedEventsTableSql } from '@waymark/collector';
import type { EventRow } from '@waymark/sinks';
import { duckdbTableSql } from '@waymark/sinks/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckdbStore } from '../../packages/collector/src/duckdbStore';
import { failureKinds } from './failedEvents';
import { generateReadership } from './generateReadership';
import { loadSyntheticStore, syntheticStoreDefaults } from './loadSyntheticStore';
import type { SyntheticStoreSummary } from './loadSyntheticStore';
import { toEnvelope } from './toEnvelope';
import { storedRows } from './toStoredRow';

const dir = mkdtempSync(join(tmpdir(), 'waymark-synthetic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seed = 3;
const path = join(dir, 'store.duckdb');
let summary: SyntheticStoreSummary;

async function query(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const readership = () => generateReadership({ seed, start: syntheticStoreDefaults.start, days: syntheticStoreDefaults.days, visitors: summary.visitors });

beforeAll(async () => {
  summary = await loadSyntheticStore({ path, seed, events: 20_000, failedEvents: 60 });
}, 120_000);

describe('loadSyntheticStore', { timeout: 120_000 }, () => {
  it('stores as many events of each name as the readership sends', async () => {
    const sent: Record<string, number> = {};
    for (const visit of readership()) {
      visit.actions.forEach((_, i) => {
        const envelope = toEnvelope(visit, i);
        if (envelope) sent[envelope.name] = (sent[envelope.name] ?? 0) + 1;
      });
    }
    const rows = await query(path, 'SELECT name, count(*)::INT AS n FROM waymark_events GROUP BY name');
    const stored = Object.fromEntries(rows.map((row) => [row.name, row.n]));
    expect(stored).toEqual(sent);
    expect(summary.byName).toEqual(sent);
    expect(summary.events).toBe(Object.values(sent).reduce((a, b) => a + b, 0));
    expect(summary.events).toBeGreaterThan(17_000);
    expect(summary.events).toBeLessThan(23_000);
    expect(summary.reused).toBe(false);
  });

  it('stores JSON that parses in every row', async () => {
    const [invalid] = await query(
      path,
      `SELECT count(*)::INT AS n FROM waymark_events
       WHERE NOT json_valid(properties) OR NOT json_valid(context) OR (traits IS NOT NULL AND NOT json_valid(traits))`,
    );
    expect(invalid.n).toBe(0);
    const rows = await query(path, 'SELECT type, properties, traits, context FROM waymark_events');
    for (const row of rows) {
      expect(JSON.parse(row.properties as string)).toBeTypeOf('object');
      expect(JSON.parse(row.context as string)).toMatchObject({ page: expect.any(Object), server: { siteId: 'blog' } });
      if (row.type === 'identify') expect(JSON.parse(row.traits as string)).toBeTypeOf('object');
      else expect(row.traits).toBeNull();
    }
  });

  it('stores exactly the rows storedRows builds, timestamps included', async () => {
    const rows = await query(path, 'SELECT * EXCLUDE (timestamp, received_at), epoch_ms(timestamp) AS ts, epoch_ms(received_at) AS ra FROM waymark_events');
    const byId = new Map(rows.map((row) => [row.id as string, row]));
    let compared = 0;
    for (const visit of readership()) {
      for (const row of storedRows(visit, { seed, siteId: 'blog' })) {
        if (!row) continue;
        const { timestamp, received_at, ...rest } = row as EventRow;
        expect(byId.get(row.id)).toEqual({ ...rest, ts: BigInt(timestamp), ra: BigInt(received_at!) });
        compared++;
      }
    }
    expect(compared).toBe(rows.length);
  });

  it('lays out the tables as the collector creates them', async () => {
    const describeTables = `SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name LIKE 'waymark_%' ORDER BY table_name, column_index`;
    const constraints = `SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() WHERE table_name LIKE 'waymark_%' ORDER BY ALL`;
    const reference = await DuckDBInstance.create(':memory:');
    const connection = await reference.connect();
    for (const sql of [duckdbTableSql(), failedEventsTableSql(), ...dataRightsTablesSql()]) await connection.run(sql);
    const expectedColumns = (await connection.runAndReadAll(describeTables)).getRowObjectsJS();
    const expectedConstraints = (await connection.runAndReadAll(constraints)).getRowObjectsJS();
    connection.closeSync();
    reference.closeSync();
    expect(await query(path, describeTables)).toEqual(expectedColumns);
    expect(await query(path, constraints)).toEqual(expectedConstraints);
    expect(expectedConstraints).toContainEqual({ table_name: 'waymark_events', constraint_type: 'PRIMARY KEY', constraint_column_names: ['id'] });
  });

  it('adds refused events with the reason the collector gives', async () => {
    const rows = await query(path, 'SELECT id, site_id, epoch_ms(received_at) AS at, reason, payload FROM waymark_failed_events');
    expect(rows).toHaveLength(summary.failedEvents);
    expect(rows.length).toBeGreaterThan(40);
    expect(Object.keys(summary.failedByKind).sort()).toEqual(Object.keys(failureKinds).sort());
    const reasons = rows.map((row) => row.reason as string);
    expect(reasons).toContain('[waymark] properties.destination.country: expected an ISO 3166-1 alpha-2 country code such as "PT"');
    expect(reasons).toContain('[waymark] name: unknown event "post_liked" in catalogue "travel@1"');
    expect(reasons).toContain('[waymark] the event happened more than 7 days ago, outside the dedupe window');
    expect(reasons.some((reason) => /^\[waymark\] schema: unknown catalogue "travel@2"/.test(reason))).toBe(true);
    expect(reasons.some((reason) => reason.startsWith('[waymark] properties.') && reason.endsWith('Unrecognized key: "percentage"'))).toBe(true);
    expect(reasons.some((reason) => /^\[waymark\] the event is \d+ bytes, above the 32768-byte limit$/.test(reason))).toBe(true);
    const start = Date.parse(syntheticStoreDefaults.start);
    for (const row of rows) {
      const payload = JSON.parse(row.payload as string);
      expect(payload.id).toBe(row.id);
      expect(row.site_id).toBe('blog');
      expect(Number(row.at)).toBeGreaterThan(start);
      if (payload.context.page.referrer !== undefined && payload.context.page.referrer !== null) expect(payload.context.page.referrer).not.toContain('/');
    }
    const [{ n }] = await query(path, 'SELECT count(*)::INT AS n FROM waymark_failed_events f JOIN waymark_events e USING (id)');
    expect(n).toBe(0);
  });

  it('stores the same rows through the Appender', async () => {
    const other = join(dir, 'appender.duckdb');
    const viaAppender = await loadSyntheticStore({ path: other, seed, events: 20_000, failedEvents: 60, method: 'appender' });
    expect(viaAppender.events).toBe(summary.events);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`ATTACH '${path}' AS csv (READ_ONLY)`);
      await connection.run(`ATTACH '${other}' AS app (READ_ONLY)`);
      for (const table of ['waymark_events', 'waymark_failed_events']) {
        const difference = await connection.runAndReadAll(
          `SELECT count(*)::INT AS n FROM ((SELECT * FROM csv.${table} EXCEPT ALL SELECT * FROM app.${table}) UNION ALL (SELECT * FROM app.${table} EXCEPT ALL SELECT * FROM csv.${table}))`,
        );
        expect(difference.getRowObjectsJS()).toEqual([{ n: 0 }]);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('reuses a file built for the same options and rebuilds it for other options', async () => {
    const before = statSync(path).mtimeMs;
    const again = await loadSyntheticStore({ path, seed, events: 20_000, failedEvents: 60 });
    expect(again).toEqual({ ...summary, reused: true });
    expect(statSync(path).mtimeMs).toBe(before);
    const other = await loadSyntheticStore({ path, seed: seed + 1, events: 5_000, failedEvents: 10 });
    expect(other.reused).toBe(false);
    const [{ n }] = await query(path, 'SELECT count(*)::INT AS n FROM waymark_events');
    expect(n).toBe(other.events);
    expect((await loadSyntheticStore({ path, seed: seed + 1, events: 5_000, failedEvents: 10, force: true })).reused).toBe(false);
  });

  it('opens as a collector store that knows the stored ids', async () => {
    const file = join(dir, 'collector.duckdb');
    const loaded = await loadSyntheticStore({ path: file, seed, events: 3_000, failedEvents: 5 });
    const [{ id }] = await query(file, 'SELECT id FROM waymark_events LIMIT 1');
    const store = await openDuckdbStore({ path: file });
    try {
      expect(await store.existingIds([id as string, 'not-stored'])).toEqual(new Set([id]));
      const connection = await store.connect();
      const count = await connection.runAndReadAll('SELECT count(*)::INT AS n FROM waymark_events');
      connection.closeSync();
      expect(count.getRowObjectsJS()).toEqual([{ n: loaded.events }]);
    } finally {
      await store.close();
    }
  });
});
