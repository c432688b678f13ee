import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseEngine, plainClickhouseValue } from './clickhouseEngine';

const url = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const up = await fetch(`${url}/ping`).then(
  (r) => r.ok,
  () => false,
);
if (!up) console.warn(`[waymark] clickhouseEngine server tests skipped: no ClickHouse at ${url} (set WAYMARK_CLICKHOUSE_URL or start it as in .ci/run)`);

describe('plainClickhouseValue', () => {
  it('converts JSON output by the column type', () => {
    expect(plainClickhouseValue('9007199254740', 'Int64')).toBe(9007199254740);
    expect(plainClickhouseValue('18', 'Nullable(UInt64)')).toBe(18);
    expect(plainClickhouseValue('12.34', 'Decimal(10, 2)')).toBe(12.34);
    expect(plainClickhouseValue(null, 'Nullable(Float64)')).toBe(null);
    expect(plainClickhouseValue('2026-10-01', 'Date')).toBe('2026-10-01');
    expect(plainClickhouseValue('2026-10-01 08:00:00', "DateTime('UTC')")).toBe(Date.parse('2026-10-01T08:00:00Z'));
    expect(plainClickhouseValue('2026-10-01 17:00:00', "Nullable(DateTime('Asia/Tokyo'))")).toBe(Date.parse('2026-10-01T08:00:00Z'));
    expect(plainClickhouseValue('2026-07-01 10:00:00', 'DateTime', 'Europe/Lisbon')).toBe(Date.parse('2026-07-01T09:00:00Z'));
    expect(plainClickhouseValue(['a', 'b'], 'Array(String)')).toBe('["a","b"]');
    expect(plainClickhouseValue('x', 'LowCardinality(String)')).toBe('x');
  });
});

describe('clickhouseEngine', () => {
  it('rejects a bad url or database name', () => {
    expect(() => clickhouseEngine({ url: 'not a url' })).toThrow(/`url` must be an http\(s\) URL/);
    expect(() => clickhouseEngine({ database: 'x; DROP' })).toThrow(/`database` must be a plain identifier/);
  });

  it('names the server it cannot reach', async () => {
    const engine = clickhouseEngine({ url: 'http://127.0.0.1:9' });
    await expect(engine.query('SELECT 1')).rejects.toThrow(/^\[waymark\] clickhouseEngine: cannot reach ClickHouse at http:\/\/127\.0\.0\.1:9: /);
  });

  describe('against a recording server', () => {
    const seen: { url: string; headers: Record<string, unknown>; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ meta: [{ name: 'n', type: 'UInt64' }], data: [{ n: 3 }], rows: 1 }));
      });
    });
    let base = '';
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('sends the query with FORMAT JSON, the database, the settings and the credentials', async () => {
      const engine = clickhouseEngine({ url: base, database: 'blog', user: 'reports', password: 's3cret' });
      expect(await engine.query('SELECT count() AS n FROM waymark_facts;')).toEqual([{ n: 3 }]);
      const [request] = seen;
      expect(request.body).toBe('SELECT count() AS n FROM waymark_facts\nFORMAT JSON');
      const params = new URL(request.url, base).searchParams;
      expect(params.get('database')).toBe('blog');
      expect(params.get('join_use_nulls')).toBe('1');
      expect(params.get('output_format_json_quote_64bit_integers')).toBe('0');
      expect(request.url).not.toContain('s3cret');
      expect(request.headers['x-clickhouse-user']).toBe('reports');
      expect(request.headers['x-clickhouse-key']).toBe('s3cret');
      await engine.close();
      await expect(engine.query('SELECT 1')).rejects.toThrow(/used after close/);
    });
  });
});

describe.skipIf(!up)('clickhouseEngine (real ClickHouse 18.16)', () => {
  const database = `waymark_engine_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const engine = clickhouseEngine({ url, database });
  beforeAll(() => clickhouseEngine({ url }).run(`CREATE DATABASE ${database}`));
  afterAll(() => clickhouseEngine({ url }).run(`DROP DATABASE IF EXISTS ${database}`));

  it('returns rows as plain JS values', async () => {
    const rows = await engine.query(`SELECT toInt64(9007199254740) AS big, toUInt64(18) AS u, toDecimal64(12.34, 2) AS dec,
      toDate('2026-10-01') AS day, toDateTime('2026-10-01 08:00:00', 'UTC') AS at, CAST(NULL AS Nullable(String)) AS nothing,
      'ünï ☃ "q"' AS text, 1 / 0 AS inf, [1, 2] AS list, toUInt8(1) AS flag`);
    expect(rows).toEqual([
      { big: 9007199254740, u: 18, dec: 12.34, day: '2026-10-01', at: Date.parse('2026-10-01T08:00:00Z'), nothing: null, text: 'ünï ☃ "q"', inf: null, list: '[1,2]', flag: 1 },
    ]);
  });

  it('reads and writes tables in its own database', async () => {
    await engine.run('CREATE TABLE t (k String, v Int64) ENGINE = MergeTree() ORDER BY k');
    await engine.run("INSERT INTO t VALUES ('a', 1), ('b', 2)");
    expect(await engine.query('SELECT k, v FROM t ORDER BY k')).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ]);
  });

  it('gives LEFT JOIN misses as NULL, as DuckDB does', async () => {
    const rows = await engine.query("SELECT k, v FROM (SELECT 'a' AS k) LEFT JOIN (SELECT 'b' AS k, toInt64(1) AS v) USING k");
    expect(rows).toEqual([{ k: 'a', v: null }]);
  });

  it("rejects with the server's message", async () => {
    await expect(engine.query('SELEC 1')).rejects.toThrow(/^\[waymark\] ClickHouse refused the query \(HTTP 400\): Code: 62, .*Syntax error/);
    await expect(engine.query('SELECT * FROM no_such_table')).rejects.toThrow(/Code: 60, .*no_such_table.* doesn't exist/);
    // An error half-way through the result is still an error (the server buffers the answer).
    await expect(engine.query('SELECT throwIf(number = 70000) FROM numbers(100000)')).rejects.toThrow(/Code: 395/);
  });
});
