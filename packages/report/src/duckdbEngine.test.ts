import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { duckdbEngine } from './duckdbEngine';

const dir = mkdtempSync(join(tmpdir(), 'waymark-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Another process that opens `path` for writing and keeps it open, like a running collector. */
async function holdFile(path: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    (async () => {
      const instance = await DuckDBInstance.create(${JSON.stringify(path)});
      await (await instance.connect()).run('CREATE TABLE IF NOT EXISTS held (x INTEGER)');
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    })();`;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return child;
}

describe('duckdbEngine', () => {
  it('returns rows as plain JS values', async () => {
    const engine = await duckdbEngine();
    try {
      const [row] = await engine.query(`SELECT
        CAST(9007199254740 AS BIGINT) AS big, sum(x) AS huge, CAST(12.34 AS DECIMAL(10, 2)) AS dec, avg(x) AS mean,
        DATE '2026-10-01' AS day, TIMESTAMPTZ '2026-10-01 08:00:00.123+00' AS tz, TIMESTAMP '2026-10-01 08:00:00.5' AS naive,
        true AS yes, NULL AS nothing, 'ünï ☃' AS text, [1, 2] AS list, {'a': 1} AS struct, 1 / 0 AS inf,
        CAST('550e8400-e29b-41d4-a716-446655440000' AS UUID) AS uuid, CAST(7 AS HUGEINT) AS h, CAST(3 AS INTEGER) AS i
        FROM range(1, 4) t(x)`);
      expect(row).toEqual({
        big: 9007199254740,
        huge: 6,
        dec: 12.34,
        mean: 2,
        day: '2026-10-01',
        tz: Date.parse('2026-10-01T08:00:00.123Z'),
        naive: Date.parse('2026-10-01T08:00:00.500Z'),
        yes: true,
        nothing: null,
        text: 'ünï ☃',
        list: '[1,2]',
        struct: '{"a":1}',
        inf: null,
        uuid: '550e8400-e29b-41d4-a716-446655440000',
        h: 7,
        i: 3,
      });
    } finally {
      await engine.close();
    }
  });

  it('works in UTC whatever the process time zone', async () => {
    const engine = await duckdbEngine();
    try {
      expect(await engine.query(`SELECT current_setting('TimeZone') AS zone, CAST(TIMESTAMPTZ '2026-10-01 23:30:00-05' AS DATE) AS day`)).toEqual([
        { zone: 'UTC', day: '2026-10-02' },
      ]);
    } finally {
      await engine.close();
    }
  });

  it('runs concurrent calls one at a time, in call order', async () => {
    const engine = await duckdbEngine();
    try {
      await engine.run('CREATE TABLE log (n INTEGER)');
      await Promise.all(Array.from({ length: 40 }, (_, n) => engine.run(`INSERT INTO log VALUES (${n})`)));
      const rows = await engine.query('SELECT list(n) AS ns FROM log');
      expect(rows[0].ns).toBe(JSON.stringify(Array.from({ length: 40 }, (_, n) => n)));
    } finally {
      await engine.close();
    }
  });

  it('opens a file read-only and refuses writes there', async () => {
    const path = join(dir, 'readonly.duckdb');
    const writer = await duckdbEngine({ path });
    await writer.run('CREATE TABLE t AS SELECT 42 AS x');
    await writer.close();
    const reader = await duckdbEngine({ path, readOnly: true });
    try {
      expect(await reader.query('SELECT x FROM t')).toEqual([{ x: 42 }]);
      await expect(reader.run('INSERT INTO t VALUES (1)')).rejects.toThrow(/read-only/);
    } finally {
      await reader.close();
    }
    await expect(duckdbEngine({ path: join(dir, 'absent.duckdb'), readOnly: true })).rejects.toThrow(/^\[waymark\] cannot open the DuckDB file .*absent\.duckdb/);
  });

  it('says to go through the collector when it holds the file', { timeout: 30_000 }, async () => {
    const path = join(dir, 'held.duckdb');
    const holder = await holdFile(path);
    try {
      for (const readOnly of [true, false]) {
        const error = await duckdbEngine({ path, readOnly }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error?.message).toMatch(/^\[waymark\] cannot open .*held\.duckdb: the collector holds the store/);
        expect(error?.message).toContain('--collector URL --key KEY');
        expect(error?.message).toContain('stop the collector');
      }
    } finally {
      holder.kill();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const engine = await duckdbEngine({ path, readOnly: true });
    expect(await engine.query('SELECT count(*) AS n FROM held')).toEqual([{ n: 0 }]);
    await engine.close();
  });

  it('wraps a connection it is given and closes it on close()', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run('CREATE TABLE shared AS SELECT 1 AS x');
    const engine = await duckdbEngine({ connection });
    expect(engine.connection).toBe(connection);
    expect(await engine.query('SELECT x FROM shared')).toEqual([{ x: 1 }]);
    await engine.close();
    await expect(engine.query('SELECT 1')).rejects.toThrow('[waymark] duckdbEngine: used after close()');
    await expect(connection.run('SELECT 1')).rejects.toThrow();
    const other = await instance.connect();
    expect((await other.runAndReadAll('SELECT x FROM shared')).getRows()).toEqual([[1]]);
    other.closeSync();
    instance.closeSync();
  });
});
