import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseEngine } from './clickhouseEngine';
import { duckdbEngine } from './duckdbEngine';
import type { ReportEngine, ReportRow } from './reportEngine';
import { clickhouseDialect, duckdbDialect, sqlDialect } from './sqlDialect';
import type { SqlDialect } from './sqlDialect';

const url = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const up = await fetch(`${url}/ping`).then(
  (r) => r.ok,
  () => false,
);
if (!up) console.warn(`[waymark] sqlDialect ClickHouse tests skipped: no ClickHouse at ${url} (set WAYMARK_CLICKHOUSE_URL or start it as in .ci/run)`);

// Groups of sizes 1..12 (odd and even), values out of order, one group with NULLs; days around week and year ends.
const rows: { g: string; x: number | null; d: string }[] = [];
for (const size of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 30, 99, 100, 101]) {
  for (let i = 0; i < size; i++) rows.push({ g: `g${String(size).padStart(3, '0')}`, x: ((i * 7 + size) % 13) * 10 + size, d: '2025-12-29' });
}
rows.push({ g: 'nulls', x: null, d: '2026-01-04' }, { g: 'nulls', x: 5, d: '2026-01-05' }, { g: 'nulls', x: null, d: '2024-02-29' }, { g: 'nulls', x: 3, d: '2025-06-01' });
rows.push({ g: 'only_null', x: null, d: '2025-01-01' });

function literal(dialect: SqlDialect, value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : dialect.string(value);
}

async function loadTable(engine: ReportEngine, table: string) {
  const dialect = sqlDialect(engine.dialect);
  await engine.run(
    engine.dialect === 'duckdb'
      ? `CREATE TABLE ${table} (g VARCHAR, x BIGINT, d DATE)`
      : `CREATE TABLE ${table} (g String, x Nullable(Int64), d Date) ENGINE = MergeTree() ORDER BY g`,
  );
  const values = rows.map((r) => `(${literal(dialect, r.g)}, ${literal(dialect, r.x)}, ${dialect.date(r.d)})`).join(', ');
  await engine.run(`INSERT INTO ${table} (g, x, d) VALUES ${values}`);
}

const levels = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

/** The queries every dialect function is checked with; each is answered by both engines. */
function queries(d: SqlDialect, table: string): Record<string, string> {
  const quantiles = levels.map((q, i) => `${d.quantile('x', q)} AS q${i}`).join(', ');
  const tricky = ["it's", 'back\\slash', 'quote \\\' mix', 'ünï ☃ 旅', 'line\nbreak', "''", '\\'];
  return {
    string: `SELECT ${tricky.map((s, i) => `${d.string(s)} AS s${i}`).join(', ')}`,
    date: `SELECT ${d.date('2026-10-01')} AS a, ${d.date('2024-02-29')} AS b`,
    countDistinct: `SELECT g, ${d.countDistinct('x')} AS n FROM ${table} GROUP BY g ORDER BY g`,
    aggregateIf: `SELECT g,
      ${d.aggregateIf('sum', 'x', 'x > 60')} AS s, ${d.aggregateIf('count', 'x', 'x > 60')} AS c, ${d.aggregateIf('count', '*', "d >= " + d.date('2026-01-01'))} AS rows2026,
      ${d.aggregateIf('min', 'x', 'x > 60')} AS mn, ${d.aggregateIf('max', 'x', 'x > 60')} AS mx,
      ${d.aggregateIf('sum', d.toDouble('x'), 'x > 1000')} AS none_sum, ${d.aggregateIf('max', 'x', 'x > 1000')} AS none_max
      FROM ${table} GROUP BY g ORDER BY g`,
    quantile: `SELECT g, ${quantiles} FROM ${table} GROUP BY g ORDER BY g`,
    weekStart: `SELECT d, ${d.weekStart('d')} AS w FROM ${table} GROUP BY d ORDER BY d`,
    dayDiff: `SELECT d, ${d.dayDiff(d.date('2026-01-01'), 'd')} AS ahead, ${d.dayDiff('d', d.date('2026-01-01'))} AS behind FROM ${table} GROUP BY d ORDER BY d`,
    toDouble: `SELECT g, sum(${d.toDouble('x')}) / 4 AS q FROM ${table} GROUP BY g ORDER BY g`,
    toText: `SELECT g, d, x, ${d.toText('d')} AS day_text, ${d.toText('x')} AS x_text, ${d.toText('g')} AS g_text FROM ${table} WHERE x IS NOT NULL ORDER BY g, x`,
    // As text: keys above 2^53 do not survive a JS number.
    idKey: `SELECT g, ${d.toText(d.idKey('g'))} AS k, ${d.toText(d.idKey(d.string('abc')))} AS abc, ${d.toText(d.idKey(d.string('')))} AS empty FROM ${table} GROUP BY g ORDER BY g`,
  };
}

describe('sqlDialect', () => {
  it('gives each engine its own dialect', () => {
    expect(sqlDialect('duckdb')).toBe(duckdbDialect);
    expect(sqlDialect('clickhouse')).toBe(clickhouseDialect);
  });

  it('rejects a quantile level outside 0..1', () => {
    expect(() => duckdbDialect.quantile('x', 1.5)).toThrow(/from 0 to 1/);
    expect(() => clickhouseDialect.quantile('x', -0.1)).toThrow(/from 0 to 1/);
  });
});

describe('sqlDialect on DuckDB', () => {
  let engine: ReportEngine;
  let answers: Record<string, ReportRow[]>;
  beforeAll(async () => {
    engine = await duckdbEngine();
    await loadTable(engine, 'dialect_check');
    answers = {};
    for (const [name, sql] of Object.entries(queries(duckdbDialect, 'dialect_check'))) answers[name] = await engine.query(sql);
  });
  afterAll(() => engine?.close());

  it('quotes strings so they come back unchanged', () => {
    expect(Object.values(answers.string[0])).toEqual(["it's", 'back\\slash', "quote \\' mix", 'ünï ☃ 旅', 'line\nbreak', "''", '\\']);
  });

  it('takes quantiles at position max(1, ceil(n * q)) of the sorted values', () => {
    for (const row of answers.quantile) {
      const values = rows.filter((r) => r.g === row.g && r.x !== null).map((r) => r.x as number).sort((a, b) => a - b);
      const n = values.length;
      // ceil(n * q) as DuckDB computes it in doubles (0.1 * 30 is 3.0000000000000004, so position 4).
      const expected = levels.map((q) => (n === 0 ? null : values[Math.max(1, n - Math.floor(n - q * n)) - 1]));
      expect(levels.map((_, i) => row[`q${i}`]), String(row.g)).toEqual(expected);
    }
    // The median of an even group is the lower middle value.
    expect(answers.quantile.find((r) => r.g === 'g004')).toMatchObject({ q3: 54 });
  });

  it('gives 0 for an empty conditional sum and NULL for an empty min or max', () => {
    const row = answers.aggregateIf.find((r) => r.g === 'g001')!;
    expect(row).toEqual({ g: 'g001', s: 0, c: 0, rows2026: 0, mn: null, mx: null, none_sum: 0, none_max: null });
    expect(answers.aggregateIf.find((r) => r.g === 'nulls')).toMatchObject({ c: 0, rows2026: 2 });
  });

  it('starts weeks on Monday and counts days between dates', () => {
    expect(answers.weekStart.map((r) => [r.d, r.w])).toEqual([
      ['2024-02-29', '2024-02-26'],
      ['2025-01-01', '2024-12-30'],
      ['2025-06-01', '2025-05-26'],
      ['2025-12-29', '2025-12-29'],
      ['2026-01-04', '2025-12-29'],
      ['2026-01-05', '2026-01-05'],
    ]);
    expect(answers.dayDiff.find((r) => r.d === '2026-01-05')).toEqual({ d: '2026-01-05', ahead: 4, behind: -4 });
  });

  it('keys a text id by the first 8 bytes of its MD5, one key per id', () => {
    // MD5('abc') = 900150983cd24fb0…; d41d8cd98f00b204… is the MD5 of ''.
    expect(answers.idKey[0]).toMatchObject({ abc: BigInt('0x900150983cd24fb0').toString(), empty: BigInt('0xd41d8cd98f00b204').toString() });
    expect(new Set(answers.idKey.map((r) => r.k)).size).toBe(answers.idKey.length);
  });
});

describe.skipIf(!up)('sqlDialect on ClickHouse 18.16 and DuckDB (real servers)', () => {
  const database = `waymark_dialect_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  let duck: ReportEngine;
  let house: ReportEngine;
  beforeAll(async () => {
    await clickhouseEngine({ url }).run(`CREATE DATABASE ${database}`);
    house = clickhouseEngine({ url, database });
    duck = await duckdbEngine();
    await loadTable(duck, 'dialect_check');
    await loadTable(house, 'dialect_check');
  });
  afterAll(async () => {
    await duck?.close();
    await clickhouseEngine({ url }).run(`DROP DATABASE IF EXISTS ${database}`);
  });

  for (const name of Object.keys(queries(duckdbDialect, 't'))) {
    it(`answers ${name} the same on both engines`, async () => {
      const [a, b] = await Promise.all([
        duck.query(queries(duckdbDialect, 'dialect_check')[name]),
        house.query(queries(clickhouseDialect, 'dialect_check')[name]),
      ]);
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    });
  }
});
