import { describe, expect, it } from 'vitest';
import { UsageError, isDay, parseReportArgs } from './parseReportArgs';
import type { ReportArgs } from './parseReportArgs';

const store = ['--store', 'waymark.duckdb'];
const parse = (command: 'report' | 'export' | 'rollup', argv: string[], env: Record<string, string | undefined> = {}) =>
  parseReportArgs(command, argv, { env, today: '2026-06-15' });
const sourceOf = (argv: string[], env: Record<string, string | undefined> = {}) => (parse('report', argv, env) as ReportArgs).source;

/** The message of the UsageError the arguments throw. */
function mistake(command: 'report' | 'export' | 'rollup', argv: string[], env: Record<string, string | undefined> = {}): string {
  try {
    parse(command, argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseReportArgs report', () => {
  it('reads a full command line', () => {
    expect(parse('report', [...store, '--from', '2026-05-01', '--to', '2026-05-31', '-d', 'overview', '--definition', 'mine.json', '--format', 'md', '-o', 'out.md', '--author', 'ana', '--refresh', '--title', 'May'])).toEqual({
      command: 'report',
      source: { kind: 'store', path: 'waymark.duckdb' },
      from: '2026-05-01',
      to: '2026-05-31',
      definitions: ['overview', 'mine.json'],
      format: 'md',
      out: 'out.md',
      author: 'ana',
      refresh: true,
      title: 'May',
    });
  });

  it('leaves the period to the definitions when no day is given, and takes the format from --out', () => {
    expect(parse('report', [...store, '--out', 'r.json'])).toEqual({ command: 'report', source: { kind: 'store', path: 'waymark.duckdb' }, definitions: [], format: 'json', out: 'r.json', refresh: false });
    expect(parse('report', [...store, '--out', 'r.markdown'])).toMatchObject({ format: 'md' });
    expect(parse('report', [...store, '--out', 'report'])).toMatchObject({ format: 'html' });
    expect(parse('report', [...store, '--to', '2026-05-31', '--out=r.html'])).toMatchObject({ to: '2026-05-31', out: 'r.html' });
  });

  it('reads ClickHouse and collector sources, the key from the environment when not given', () => {
    expect(sourceOf(['--clickhouse', 'http://127.0.0.1:8123/', '--database', 'analytics', '--out', 'r.html'], { WAYMARK_CLICKHOUSE_USER: 'reports', WAYMARK_CLICKHOUSE_PASSWORD: 'pw' })).toEqual({
      kind: 'clickhouse',
      url: 'http://127.0.0.1:8123',
      database: 'analytics',
      user: 'reports',
      password: 'pw',
    });
    expect(sourceOf(['--collector', 'http://127.0.0.1:8787', '--key', 'rk_1', '--out', 'r.html'])).toEqual({ kind: 'collector', url: 'http://127.0.0.1:8787', key: 'rk_1' });
    expect(sourceOf(['--collector', 'http://127.0.0.1:8787', '--out', 'r.html'], { WAYMARK_READ_KEY: 'rk_env' })).toMatchObject({ key: 'rk_env' });
  });

  it('answers --help before checking anything else', () => {
    expect(parse('report', ['--help'])).toEqual({ command: 'report', help: true });
    expect(parse('export', ['-h', '--table', 'nope'])).toEqual({ command: 'export', help: true });
  });

  it('names every mistake with its flag and the fix', () => {
    expect(mistake('report', [...store, '--ot', 'x.html'])).toBe('[waymark] report: unknown flag --ot; did you mean --out? (run `waymark report --help` for the flags)');
    expect(mistake('report', [...store, '--frobnicate', 'x'])).toBe('[waymark] report: unknown flag --frobnicate (run `waymark report --help` for the flags)');
    expect(mistake('report', [...store, 'report.html'])).toMatch(/unexpected argument "report.html": every value follows its flag/);
    expect(mistake('report', [...store, '--out'])).toBe('[waymark] report: --out needs a value (run `waymark report --help` for the flags)');
    expect(mistake('report', [...store, '--out', '--format', 'md'])).toMatch(/--out needs a value/);
    expect(mistake('report', [...store, '--refresh=yes', '--out', 'x'])).toMatch(/--refresh takes no value/);
    expect(mistake('report', [...store])).toBe('[waymark] report: say where to write it: --out report.html (for --format csv, a directory: one file per report)');
    expect(mistake('report', ['--out', 'x.html'])).toMatch(/say where the events are: --store <file>, --clickhouse <url> or --collector <url> --key <read key>/);
    expect(mistake('report', [...store, '--clickhouse', 'http://127.0.0.1:8123', '--out', 'x'])).toMatch(/give one source, not --store and --clickhouse/);
    expect(mistake('report', [...store, '--from', '2026-5-1', '--out', 'x'])).toBe('[waymark] report: --from "2026-5-1" is not a day: write it as YYYY-MM-DD, such as --from 2026-05-01');
    expect(mistake('report', [...store, '--to', '2026-02-30', '--out', 'x'])).toMatch(/--to "2026-02-30" is not a day/);
    expect(mistake('report', [...store, '--from', '2026-05-31', '--to', '2026-05-01', '--out', 'x'])).toBe(
      '[waymark] report: --from 2026-05-31 is after --to 2026-05-01: the period runs from the first day to the last, both included',
    );
    expect(mistake('report', [...store, '--from', '2026-07-01', '--out', 'x'])).toMatch(/--from 2026-07-01 is in the future \(today is 2026-06-15 UTC\)/);
    expect(mistake('report', [...store, '--format', 'pdf', '--out', 'x'])).toBe('[waymark] report: --format "pdf" is not one of html, md, csv, json');
    expect(mistake('report', [...store, '--format', 'htm', '--out', 'x'])).toMatch(/did you mean html\?/);
    expect(mistake('report', ['--collector', 'http://127.0.0.1:8787', '--out', 'x'])).toMatch(/--collector needs a read key: --key <read key>, or WAYMARK_READ_KEY/);
    expect(mistake('report', ['--collector', 'localhost:8787', '--key', 'k', '--out', 'x'])).toMatch(/--collector must be an http:\/\/ or https:\/\/ URL/);
    expect(mistake('report', ['--clickhouse', 'not a url', '--out', 'x'])).toMatch(/--clickhouse "not a url" is not a URL: write it like --clickhouse http:\/\/127.0.0.1:8123/);
    expect(mistake('report', [...store, '--key', 'k', '--out', 'x'])).toMatch(/--key goes with --collector/);
    expect(mistake('report', [...store, '--database', 'db', '--out', 'x'])).toMatch(/--database goes with --clickhouse/);
    expect(mistake('report', ['--collector', 'http://127.0.0.1:8787', '--key', 'k', '--author', 'ana', '--out', 'x'])).toMatch(/--author does not go with --collector: the read key decides/);
    expect(mistake('report', [...store, '--definition', '', '--out', 'x'])).toMatch(/--definition needs a file or a built-in id/);
  });
});

describe('parseReportArgs export and rollup', () => {
  it('reads an export, with the format from the file name and the last 30 days by default', () => {
    expect(parse('export', [...store, '--table', 'facts', '--out', 'facts.parquet'])).toEqual({
      command: 'export',
      source: { kind: 'store', path: 'waymark.duckdb' },
      table: 'facts',
      format: 'parquet',
      from: '2026-05-17',
      to: '2026-06-15',
      out: 'facts.parquet',
    });
    expect(parse('export', [...store, '--table', 'events', '--format', 'ndjson', '--from', '2026-01-01', '--to', '2026-01-31', '--out', 'e.txt', '--author', 'ana'])).toMatchObject({
      format: 'ndjson',
      from: '2026-01-01',
      to: '2026-01-31',
      author: 'ana',
    });
  });

  it('names export mistakes', () => {
    expect(mistake('export', [...store, '--out', 'x.parquet'])).toBe('[waymark] export: say which table: --table events|facts|daily');
    expect(mistake('export', [...store, '--table', 'fact', '--out', 'x.parquet'])).toBe('[waymark] export: --table "fact" is not one of events, facts, daily; did you mean facts?');
    expect(mistake('export', [...store, '--table', 'daily', '--out', 'x.csv'])).toBe('[waymark] export: say which format: --format parquet|ndjson');
    expect(mistake('export', ['--collector', 'http://127.0.0.1:8787', '--key', 'k', '--table', 'daily', '--out', 'x.parquet'])).toMatch(
      /--collector is not a source of `waymark export`: use --store <file> or --clickhouse <url>/,
    );
    expect(mistake('export', [...store, '--table', 'daily'])).toBe('[waymark] export: say where to write it: --out events.parquet');
    expect(mistake('export', ['--clickhouse', 'http://127.0.0.1:8123', '--table', 'daily', '--out', 'd.parquet'])).toBe(
      '[waymark] export: ClickHouse 18.16 cannot write Parquet; use --format ndjson, or export from the DuckDB store',
    );
  });

  it('reads a rollup source and refuses anything else', () => {
    expect(parse('rollup', store)).toEqual({ command: 'rollup', source: { kind: 'store', path: 'waymark.duckdb' } });
    expect(mistake('rollup', [...store, '--out', 'x'])).toMatch(/rollup: unknown flag --out/);
    expect(mistake('rollup', [])).toBe('[waymark] rollup: say where the events are: --store <file> or --clickhouse <url>');
  });
});

describe('isDay', () => {
  it('accepts real calendar days only', () => {
    expect(['2026-05-01', '2024-02-29'].map(isDay)).toEqual([true, true]);
    expect(['2026-02-29', '2026-13-01', '2026-5-01', '20260501', '2026-05-01T00:00:00Z'].map(isDay)).toEqual([false, false, false, false, false]);
  });
});
