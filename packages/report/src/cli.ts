// The `waymark` command; the build adds the shebang. `serve` is the collector's own command line with the report
// rollups turned on; `report`, `export` and `rollup` read the store, ClickHouse or a running collector.
// User mistakes print one message and exit 2, runtime failures exit 1, and neither prints a stack trace.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { collectorCommands, runCollectorCli } from '@waymark/collector/node';
import { builtinDefinitions } from './builtinDefinitions';
import { clickhouseEngine } from './clickhouseEngine';
import { openCollectorSource } from './collectorSource';
import { resolvePeriod } from './compileReport';
import { duckdbEngine } from './duckdbEngine';
import { exportData } from './exportData';
import { DefinitionError, loadDefinition } from './loadDefinition';
import { UsageError, exportFormats, exportTables, parseReportArgs, reportFormats } from './parseReportArgs';
import type { ExportArgs, ReportArgs, ReportSource, RollupArgs } from './parseReportArgs';
import { refreshRollups } from './refreshRollups';
import type { RefreshResult } from './refreshRollups';
import { renderCsvFiles } from './renderCsv';
import { renderHtml } from './renderHtml';
import { renderJson } from './renderJson';
import { renderMarkdown } from './renderMarkdown';
import type { ReportDefinition, ReportScope } from './reportDefinition';
import type { ReportEngine } from './reportEngine';
import { createReportProgress } from './reportProgress';
import type { ProgressStream } from './reportProgress';
import type { ReportSet } from './reportResult';
import { runReports } from './runReports';

/** Where {@link runCli} writes and what it reads besides its arguments; tests pass their own. */
export interface CliIo {
  /** Results and help. @default process.stdout */
  stdout?: ProgressStream;
  /** Messages, warnings and the progress bar. @default process.stderr */
  stderr?: ProgressStream;
  /** `WAYMARK_READ_KEY`, `WAYMARK_CLICKHOUSE_USER`, `WAYMARK_CLICKHOUSE_PASSWORD`. @default process.env */
  env?: Record<string, string | undefined>;
  /** Show progress after this many ms (the default keeps short runs quiet). @default 1000 */
  progressDelayMs?: number;
}

interface Context {
  out(text: string): void;
  err(text: string): void;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  progressDelayMs: number;
}

function sourceHelp(store: string): string {
  return `Sources (give one):
  --store <file>            the collector's DuckDB file (${store})
  --clickhouse <url>        a ClickHouse server's HTTP interface, such as http://127.0.0.1:8123
    --database <name>       its database (default "default"); user and password from WAYMARK_CLICKHOUSE_USER
                            and WAYMARK_CLICKHOUSE_PASSWORD`;
}

const readOnlyStore = `opened read-only. DuckDB lets no other process open a file a
                            running collector holds: stop it first, or use --collector`;

function reportHelp(): string {
  return `Usage: waymark report <source> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--definition <file|id> ...]
                      [--format html|md|csv|json] --out <path>

Builds reports from stored events: the full built-in set unless --definition names some.

${sourceHelp(readOnlyStore)}
  --collector <url>         a running collector, such as http://127.0.0.1:8787, with a read key:
    --key <read key>        or WAYMARK_READ_KEY in the environment (keeps it out of the process list). The
                            events of the period are downloaded (GET /v1/events) and reported on here. A
                            creator's key gets a report on its own author's posts only; a marketing key may
                            not read raw events and is refused.

Flags:
  --from <day>              first UTC day; with --to, replaces every definition's own period
  --to <day>                last UTC day, included (default today); "last": N periods end here
  -d, --definition <x>      a definition file (JSON, validated; every mistake is listed with its path) or a
                            built-in id; repeat it for several. Built-in ids:
${wrapList(builtinIds(), 28)}
                            Copy one from ${relativeDefinitions()} to start your own.
  -f, --format <format>     ${reportFormats.join(', ')} (default: from the --out extension, else html)
  -o, --out <path>          the file to write; for csv a directory, one <report id>.csv per report
  --author <id>             only this author's posts (--store, --clickhouse); a creator key does it for
                            --collector
  --refresh                 bring the rollups up to date first (--store then opens the file for writing).
                            ClickHouse and --collector sources are always refreshed.
  --title <text>            title of the report set (default "Waymark reports")
  -h, --help                show this help

A progress bar shows on a terminal once a run takes more than a second.

Examples:
  waymark report --store waymark.duckdb --from 2026-05-01 --to 2026-05-31 --out may.html
  waymark report --collector http://127.0.0.1:8787 --key "$CREATOR_KEY" --format md --out mine.md
  waymark report --clickhouse http://127.0.0.1:8123 -d content-by-post -d my-report.json --format csv --out reports/

Exit codes: 0 written, 1 runtime failure (store locked, server unreachable, query failed), 2 usage error.`;
}

function exportHelp(): string {
  return `Usage: waymark export <source> --table ${exportTables.join('|')} --format ${exportFormats.join('|')}
                      [--from YYYY-MM-DD] [--to YYYY-MM-DD] --out <file>

Writes raw events (events), one row per event with typed columns (facts), or the daily rollup (daily) for
third-party tools. The period defaults to the 30 days ending today.

${sourceHelp(readOnlyStore)}

Flags:
  --table <table>           ${exportTables.join(', ')}
  -f, --format <format>     ${exportFormats.join(', ')} (default: from the --out extension)
  --from <day>, --to <day>  first and last UTC day, both included
  -o, --out <file>          the file to write
  --author <id>             only this author's posts
  -h, --help                show this help

Exit codes: 0 written, 1 runtime failure, 2 usage error.`;
}

function rollupHelp(): string {
  return `Usage: waymark rollup <source>

Brings the report rollup tables (waymark_facts, waymark_daily, waymark_posts, waymark_visitors, ...) up to date
once, incrementally, and says what it did. \`waymark serve\` does this every 60 s while the collector runs.

${sourceHelp('opened for writing: stop the collector first')}
  -h, --help                show this help

Exit codes: 0 done, 1 runtime failure, 2 usage error.`;
}

function builtinIds(): string[] {
  try {
    return builtinDefinitions().map((definition) => definition.id);
  } catch {
    return [];
  }
}

function relativeDefinitions(): string {
  return 'node_modules/@waymark/report/definitions/';
}

function wrapList(items: readonly string[], indent: number, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line ? `${line}, ${item}` : item;
    if (indent + next.length > width && line) {
      lines.push(`${line},`);
      line = item;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${' '.repeat(indent)}${l}`).join('\n');
}

const commands: Record<string, { summary: string; help?: () => string }> = {
  serve: { summary: collectorCommands.serve ?? 'run the collector' },
  report: { summary: 'build reports (HTML, Markdown, CSV, JSON) from the store, ClickHouse or a collector', help: reportHelp },
  export: { summary: 'write events, facts or the daily rollup as Parquet or NDJSON', help: exportHelp },
  rollup: { summary: 'refresh the report rollup tables once', help: rollupHelp },
};

function mainHelp(): string {
  const list = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`);
  return `Usage: waymark <command> [flags]

Commands:
${list.join('\n')}

Flags:
  -h, --help       show help (also \`waymark <command> --help\`)
  -v, --version    print the version`;
}

function version(): string {
  // Both src/ and dist/ sit one level below package.json.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** `waymark serve`'s rollups: `refreshRollups` on the collector's maintenance connection. */
async function refreshOnConnection(connection: DuckDBConnection): Promise<void> {
  // Not closed: the connection belongs to the collector, which reuses it for the next run.
  const engine = await duckdbEngine({ connection });
  await refreshRollups(engine);
}

/** A runtime failure the CLI reports as one line, without a stack. */
class RunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message.startsWith('[waymark]') ? message : `[waymark] ${message}`, options);
    this.name = 'RunError';
  }
}

async function openEngine(source: Exclude<ReportSource, { kind: 'collector' }>, options: { write: boolean; rollup?: boolean }): Promise<ReportEngine> {
  if (source.kind === 'clickhouse') {
    return clickhouseEngine({
      url: source.url,
      ...(source.database ? { database: source.database } : {}),
      ...(source.user ? { user: source.user } : {}),
      ...(source.password ? { password: source.password } : {}),
    });
  }
  if (!existsSync(source.path)) throw new RunError(`no store at ${resolve(source.path)}: check --store (the collector's DuckDB file, ./waymark.duckdb by default)`);
  try {
    return await duckdbEngine({ path: source.path, readOnly: !options.write });
  } catch (error) {
    const message = (error as Error).message;
    if (options.rollup && /holds the store/.test(message)) {
      throw new RunError(`cannot open ${source.path}: a collector holds it. \`waymark serve\` refreshes the rollups itself while it runs; to refresh them now, stop it first`, { cause: error });
    }
    throw new RunError(message, { cause: error });
  }
}

/** The definitions named by `--definition` (files or built-in ids), or the whole built-in set. */
async function resolveDefinitions(names: readonly string[]): Promise<ReportDefinition[]> {
  if (names.length === 0) return builtinDefinitions();
  const builtins = builtinDefinitions();
  const definitions: ReportDefinition[] = [];
  for (const name of names) {
    const looksLikeFile = /\.json$/i.test(name) || /[/\\]/.test(name) || existsSync(name);
    if (looksLikeFile) {
      definitions.push(await loadDefinition(name));
      continue;
    }
    const found = builtins.find((definition) => definition.id === name);
    if (!found) {
      throw new UsageError(`report: --definition "${name}" is neither a file nor a built-in report; built-in ids: ${builtins.map((d) => d.id).join(', ')}`);
    }
    definitions.push(found);
  }
  const seen = new Set<string>();
  for (const definition of definitions) {
    if (seen.has(definition.id)) throw new UsageError(`report: two definitions have the id "${definition.id}"; give each report its own id`);
    seen.add(definition.id);
  }
  return definitions;
}

/** The days a run reads: every definition's period and comparison, so a download holds what the reports need. */
function span(definitions: readonly ReportDefinition[], args: ReportArgs): { from: string; to: string } {
  const today = new Date().toISOString().slice(0, 10);
  const days = definitions.flatMap((definition) => {
    const { period, comparison } = resolvePeriod(definition, { from: args.from, to: args.to, today });
    return [period.from, period.to, ...(comparison ? [comparison.from, comparison.to] : [])];
  });
  days.sort();
  return { from: days[0] ?? today, to: days[days.length - 1] ?? today };
}

/** Says when the store holds events the rollups have not taken in yet (the report would leave them out). */
async function checkRollups(engine: ReportEngine, path: string, ctx: Context, what: 'report' | 'export' = 'report'): Promise<void> {
  let behind: number;
  try {
    const [row] = await engine.query('SELECT (SELECT count(*) FROM waymark_events) - (SELECT count(*) FROM waymark_facts) AS behind');
    behind = Number(row.behind);
  } catch (error) {
    if (/waymark_facts/.test((error as Error).message)) {
      throw new RunError(
        `${path} has no report rollups yet: run \`waymark rollup --store ${path}\` once${what === 'report' ? ', or add --refresh' : ''} (the store must not be held by a collector); ` +
          '`waymark serve` keeps them up to date while it runs',
        { cause: error },
      );
    }
    throw error;
  }
  if (behind > 0) {
    const fix = what === 'report' ? 'add --refresh to include them' : `run \`waymark rollup --store ${path}\` first to include them`;
    ctx.err(`[waymark] note: ${behind} stored events arrived after the last rollup refresh and are not in this ${what}; ${fix}\n`);
  }
}

function scopeText(scope: ReportScope): string {
  return scope.role === 'creator' ? `creator: author ${scope.authorId}` : scope.role;
}

async function writeOutput(set: ReportSet, args: ReportArgs): Promise<string> {
  const out = resolve(args.out);
  try {
    if (args.format === 'csv') {
      if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`report: --out ${args.out} is a file; --format csv writes one file per report into a directory`);
      await mkdir(out, { recursive: true });
      const files = renderCsvFiles(set);
      for (const file of files) await writeFile(join(out, file.filename), file.content);
      return `${files.length} CSV files in ${out}`;
    }
    if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`report: --out ${args.out} is a directory; give a file name such as ${join(args.out, `report.${args.format}`)}`);
    await mkdir(dirname(out), { recursive: true });
    const text = args.format === 'html' ? renderHtml(set) : args.format === 'md' ? renderMarkdown(set) : renderJson(set);
    await writeFile(out, text);
    return out;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new RunError(`cannot write ${out}: ${(error as Error).message}`, { cause: error });
  }
}

async function runReport(args: ReportArgs, ctx: Context): Promise<number> {
  const definitions = await resolveDefinitions(args.definitions);
  let engine: ReportEngine;
  let scope: ReportScope = args.author === undefined ? { role: 'admin' } : { role: 'creator', authorId: args.author };
  let refresh = true;
  let fromCollector = false;
  if (args.source.kind === 'collector') {
    const { from, to } = span(definitions, args);
    const source = await openCollectorSource({ url: args.source.url, key: args.source.key, from, to });
    engine = source.engine;
    scope = source.scope;
    fromCollector = true;
    ctx.err(`[waymark] downloaded ${source.events} events (${from} to ${to}) with the ${scopeText(scope)} key "${source.keyName}"\n`);
  } else {
    engine = await openEngine(args.source, { write: args.source.kind === 'clickhouse' || args.refresh });
    refresh = args.source.kind === 'clickhouse' || args.refresh;
  }
  const progress = createReportProgress({ stream: ctx.stderr, delayMs: ctx.progressDelayMs });
  try {
    if (args.source.kind === 'store' && !refresh) await checkRollups(engine, args.source.path, ctx);
    const set = await runReports(engine, definitions, {
      ...(args.from === undefined ? {} : { from: args.from }),
      ...(args.to === undefined ? {} : { to: args.to }),
      scope,
      refresh,
      ...(args.title === undefined ? {} : { title: args.title }),
      onProgress: ({ done, total, report }) => progress.update(done, total, report),
    });
    progress.stop();
    // A creator's quality report already says why these are left out.
    if (fromCollector && scope.role === 'admin') {
      for (const report of set.reports) {
        if (report.kind === 'quality') report.notes.push('Run through the collector: failed events and dropped duplicates stay in its store and are not counted here.');
      }
    }
    const where = await writeOutput(set, args);
    ctx.out(`[waymark] wrote ${set.reports.length} report${set.reports.length === 1 ? '' : 's'} (${set.period.from} to ${set.period.to}, ${scopeText(scope)}) to ${where}\n`);
    return 0;
  } finally {
    progress.stop();
    await engine.close().catch(() => undefined);
  }
}

async function runExport(args: ExportArgs, ctx: Context): Promise<number> {
  const engine = await openEngine(args.source, { write: false });
  try {
    if (args.source.kind === 'store' && args.table !== 'events') await checkRollups(engine, args.source.path, ctx, 'export');
    const out = resolve(args.out);
    await mkdir(dirname(out), { recursive: true });
    const result = await exportData(engine, {
      table: args.table,
      format: args.format,
      from: args.from,
      to: args.to,
      out,
      ...(args.author === undefined ? {} : { scope: { authorId: args.author } }),
    });
    ctx.out(`[waymark] wrote ${result.rows} ${args.table} rows (${args.from} to ${args.to}) as ${args.format} to ${out}\n`);
    return 0;
  } finally {
    await engine.close().catch(() => undefined);
  }
}

function describeRefresh(result: RefreshResult): string {
  const days = result.days.length === 0 ? 'no days' : result.days.length === 1 ? `1 day (${result.days[0]})` : `${result.days.length} days (${result.days[0]} to ${result.days[result.days.length - 1]})`;
  const watermark = result.watermarkMs > 0 ? new Date(result.watermarkMs).toISOString() : 'none yet';
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `${count(result.facts, 'new fact')}, daily rollup rebuilt for ${days}, ${count(result.posts, 'post')} and ${count(result.visitors, 'visitor')} updated; events received up to ${watermark} are in`;
}

async function runRollup(args: RollupArgs, ctx: Context): Promise<number> {
  const engine = await openEngine(args.source, { write: true, rollup: true });
  try {
    const started = Date.now();
    const result = await refreshRollups(engine);
    ctx.out(`[waymark] rollups refreshed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${describeRefresh(result)}\n`);
    return 0;
  } finally {
    await engine.close().catch(() => undefined);
  }
}

async function main(argv: readonly string[], ctx: Context): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'serve') return runCollectorCli(argv, { name: 'waymark', refreshRollups: refreshOnConnection });
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === 'serve') return runCollectorCli(['serve', '--help'], { name: 'waymark', refreshRollups: refreshOnConnection });
    const help = topic !== undefined && Object.hasOwn(commands, topic) ? commands[topic].help : undefined;
    ctx.out(`${help ? help() : mainHelp()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    ctx.out(`${version()}\n`);
    return 0;
  }
  if (first !== 'report' && first !== 'export' && first !== 'rollup') {
    throw new UsageError(`unknown command "${first}": use one of ${Object.keys(commands).join(', ')} (waymark --help)`);
  }
  const args = parseReportArgs(first, rest, { env: ctx.env });
  if ('help' in args) {
    ctx.out(`${commands[first].help!()}\n`);
    return 0;
  }
  if (args.command === 'report') return runReport(args, ctx);
  if (args.command === 'export') return runExport(args, ctx);
  return runRollup(args, ctx);
}

/**
 * Runs the `waymark` command line in this process and resolves with its exit code: 0 done, 1 runtime failure,
 * 2 usage error. Messages go to `io.stderr`, one line each and without a stack trace for anything a user can fix;
 * only an unexpected error prints its trace, to be reported. `serve` runs the collector (`runCollectorCli` of
 * `@waymark/collector/node`) with the report rollups refreshed every minute.
 * @example
 * ```ts
 * const code = await runCli(['report', '--store', 'waymark.duckdb', '--out', 'report.html']);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const ctx: Context = {
    out: (text) => void stdout.write(text),
    err: (text) => void stderr.write(text),
    stderr,
    env: io.env ?? process.env,
    progressDelayMs: io.progressDelayMs ?? 1000,
  };
  try {
    return await main(argv, ctx);
  } catch (error) {
    if (error instanceof UsageError || error instanceof DefinitionError) {
      ctx.err(`${error.message}\n`);
      if (error instanceof DefinitionError) ctx.err(`Fix the definition, or start from a built-in one in ${relativeDefinitions()}\n`);
      return 2;
    }
    if (error instanceof Error && error.message.startsWith('[waymark]')) {
      ctx.err(`${error.message}\n`);
      return 1;
    }
    ctx.err(`[waymark] unexpected error; please report it with this trace:\n${error instanceof Error ? error.stack : String(error)}\n`);
    return 1;
  }
}

/** True when this file is the program Node was started with (the bin), not a module a test imported. */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMain()) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
