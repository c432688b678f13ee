import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestStatsTableSql } from '@waymark/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDefinitions } from '../../../packages/report/src/builtinDefinitions';
import { duckdbEngine } from '../../../packages/report/src/duckdbEngine';
import type { DuckdbEngine } from '../../../packages/report/src/duckdbEngine';
import { refreshRollups } from '../../../packages/report/src/refreshRollups';
import { runReports } from '../../../packages/report/src/runReports';
import { loadSyntheticStore } from '../../synthetic/loadSyntheticStore';
import { handWrittenReports, runHandWritten } from './handWrittenSql';
import { comparable, differences, numbersOfHandWritten, numbersOfReport } from './reportNumbers';
import type { ReportNumbers } from './reportNumbers';

// 60 days, so the reports' 30-day periods and the 30 days they compare against both hold events.
const days = 60;
const dir = mkdtempSync(join(tmpdir(), 'waymark-hand-written-'));
let engine: DuckdbEngine;
let to: string;
let builtIn: ReportNumbers[];
let handWritten: ReportNumbers[];

beforeAll(async () => {
  const store = await loadSyntheticStore({ path: join(dir, 'store.duckdb'), seed: 11, events: 50_000, days, failedEvents: 120 });
  to = new Date(Date.parse(store.start) + (days - 1) * 86_400_000).toISOString().slice(0, 10);
  engine = await duckdbEngine({ path: store.path });
  // The collector's daily counts, which the synthetic loader does not write, so the duplicates check has numbers.
  await engine.run(ingestStatsTableSql());
  await engine.run(
    `INSERT INTO waymark_ingest_stats SELECT CAST(day AS DATE), 'blog', 1000 + 7 * i, 3 * i, i % 5
     FROM (SELECT ${`DATE '${store.start.slice(0, 10)}'`} + CAST(i AS INTEGER) AS day, i FROM range(0, ${days}) AS r(i))`,
  );
  await refreshRollups(engine);
  const set = await runReports(engine, builtinDefinitions(), { to });
  builtIn = set.reports.map(numbersOfReport);
  handWritten = (await runHandWritten(engine, handWrittenReports({ to, ingestStats: true }))).map(numbersOfHandWritten);
}, 300_000);

afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = builtinDefinitions().map((definition) => definition.id);
const report = (list: readonly ReportNumbers[], id: string) => list.find((entry) => entry.id === id)!;

describe('hand-written report SQL', () => {
  it('answers every built-in report, in the same order', () => {
    expect(handWritten.map((entry) => entry.id)).toEqual(ids);
  });

  it.each(ids)('gives the numbers of %s', (id) => {
    expect(differences([report(builtIn, id)], [report(handWritten, id)])).toEqual([]);
  });

  it('compares reports that have numbers in both periods', () => {
    for (const id of ids) expect(report(builtIn, id).rows.length, id).toBeGreaterThan(0);
    expect(report(builtIn, 'trending-destinations').rows.length).toBeGreaterThanOrEqual(3);
    const funnel = report(builtIn, 'funnel-read-to-click').rows;
    expect(funnel.every((row) => typeof row.sessions === 'number' && row.sessions > 0 && typeof row.sessions_change === 'number')).toBe(true);
    const overview = report(builtIn, 'overview');
    expect(overview.rows).toHaveLength(30);
    expect(overview.rows.every((row) => (row.events as number) > 0 && (row.events_previous as number) > 0)).toBe(true);
    expect(overview.totals?.visitors_change).toEqual(expect.any(Number));
    const quality = report(builtIn, 'data-quality').rows;
    expect(quality.find((row) => row.check === 'Duplicates dropped')?.events).toBeGreaterThan(0);
    expect(quality.some((row) => String(row.check).startsWith('Failed: '))).toBe(true);
    const content = report(builtIn, 'content-by-post').rows[0];
    expect(content.median_engaged_ms).toEqual(expect.any(Number));
    expect(content.unique_readers).toBeLessThan(content.views as number);
  });

  it('tells a changed, missing or extra number apart', () => {
    const original = report(handWritten, 'content-by-post');
    const changed = { ...original, rows: original.rows.map((row, i) => (i === 3 ? { ...row, unique_readers: (row.unique_readers as number) + 1 } : row)) };
    expect(differences([report(builtIn, 'content-by-post')], [changed])).toEqual([expect.stringMatching(/^content-by-post row 3\.unique_readers: \d+ != \d+$/)]);
    const { scroll_75_rate: _dropped, ...fewer } = original.rows[0];
    expect(differences([report(builtIn, 'content-by-post')], [{ ...original, rows: [fewer, ...original.rows.slice(1)] }])).toEqual([
      'content-by-post row 0: no column scroll_75_rate',
    ]);
    const changedTotals = { ...report(handWritten, 'overview'), totals: { ...report(handWritten, 'overview').totals, events_change: 0 } };
    expect(differences([report(builtIn, 'overview')], [changedTotals])).toEqual([expect.stringMatching(/^overview totals\.events_change: /)]);
    const shares = report(handWritten, 'shares-by-network');
    expect(shares.rows.length).toBeGreaterThan(1);
    expect(differences([report(builtIn, 'shares-by-network')], [{ ...shares, rows: shares.rows.slice(1) }])).toContain(
      `shares-by-network: ${shares.rows.length} rows != ${shares.rows.length - 1} rows`,
    );
  });

  it('rounds doubles to 9 significant digits', () => {
    expect(comparable(0.1 + 0.2)).toBe(0.3);
    expect(comparable(123456789.4)).toBe(123456789);
    expect(comparable(1234567894)).toBe(1234567890);
    expect(comparable(-0)).toBe(0);
    expect(comparable(0.30000001)).not.toBe(0.3);
    // buildReport keeps 12 digits: a ratio rounded there first ends on the same 9th digit as the raw one here.
    expect(comparable(0.4996832564999)).toBe(comparable(Number((0.4996832564999).toPrecision(12))));
  });
});
