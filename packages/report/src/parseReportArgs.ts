import { parseArgs } from 'node:util';

/** A mistake on the command line: the CLI prints its message (no stack) and exits with 2. */
export class UsageError extends Error {
  /** The exit code of a usage error. */
  readonly exitCode = 2;

  constructor(message: string) {
    super(message.startsWith('[waymark]') ? message : `[waymark] ${message}`);
    this.name = 'UsageError';
  }
}

/** Where a command reads events from. */
export type ReportSource =
  /** The collector's DuckDB file, opened read-only unless the command writes rollups. */
  | { kind: 'store'; path: string }
  /** A ClickHouse server's HTTP interface (the scale-out store). */
  | { kind: 'clickhouse'; url: string; database?: string; user?: string; password?: string }
  /** A running collector's read API, with a secret read key. */
  | { kind: 'collector'; url: string; key: string };

/** The output formats of `waymark report`. */
export const reportFormats = ['html', 'md', 'csv', 'json'] as const;
/** An output format of `waymark report`. */
export type ReportFormat = (typeof reportFormats)[number];
/** The tables `waymark export` writes. */
export const exportTables = ['events', 'facts', 'daily'] as const;
/** The file formats `waymark export` writes. */
export const exportFormats = ['parquet', 'ndjson'] as const;

/** `waymark report` flags, checked. */
export interface ReportArgs {
  /** Which command these are the flags of. */
  command: 'report';
  /** Where the events are. */
  source: ReportSource;
  /**
   * First UTC day, `YYYY-MM-DD`; with `to`, it replaces every definition's own period. Without it, a definition's
   * `{ "last": N }` period ends at `to`.
   */
  from?: string;
  /** Last UTC day, inclusive. @default today (UTC) when `from` is given, else each definition's own period */
  to?: string;
  /** Definition files and built-in ids, as given; empty for the full built-in set. */
  definitions: string[];
  /** The output format. @default from the `out` extension, else `html` */
  format: ReportFormat;
  /** The file to write, or for `csv` the directory. */
  out: string;
  /** Limits every report to one author's posts (`--store` / `--clickhouse` only; a creator's key does it on `--collector`). */
  author?: string;
  /** Refresh the rollups before reporting (`--store` opens the file for writing then). */
  refresh: boolean;
  /** The title of the report set. */
  title?: string;
}

/** `waymark export` flags, checked. */
export interface ExportArgs {
  /** Which command these are the flags of. */
  command: 'export';
  /** Where the rows are (not a collector: its read API exports raw events itself). */
  source: Exclude<ReportSource, { kind: 'collector' }>;
  /** `events` (raw), `facts` or `daily` (derived by `refreshRollups`). */
  table: (typeof exportTables)[number];
  /** The file format. */
  format: (typeof exportFormats)[number];
  /** First UTC day of the rows written. */
  from: string;
  /** Last UTC day, inclusive. */
  to: string;
  /** The file to write. */
  out: string;
  /** Only rows of this author's posts. */
  author?: string;
}

/** `waymark rollup` flags, checked. */
export interface RollupArgs {
  /** Which command these are the flags of. */
  command: 'rollup';
  /** The store or ClickHouse whose rollups to refresh. */
  source: Exclude<ReportSource, { kind: 'collector' }>;
}

/** What {@link parseReportArgs} returns: the checked flags, or a request for the command's help. */
export type ParsedArgs = ReportArgs | ExportArgs | RollupArgs | { command: 'report' | 'export' | 'rollup'; help: true };

type Command = 'report' | 'export' | 'rollup';

const sourceOptions = {
  store: { type: 'string' },
  clickhouse: { type: 'string' },
  database: { type: 'string' },
  collector: { type: 'string' },
  key: { type: 'string' },
} as const;

const periodOptions = {
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

const optionsOf = {
  report: {
    ...sourceOptions,
    ...periodOptions,
    definition: { type: 'string', short: 'd', multiple: true },
    format: { type: 'string', short: 'f' },
    out: { type: 'string', short: 'o' },
    author: { type: 'string' },
    refresh: { type: 'boolean' },
    title: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  export: {
    ...sourceOptions,
    ...periodOptions,
    table: { type: 'string' },
    format: { type: 'string', short: 'f' },
    out: { type: 'string', short: 'o' },
    author: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  rollup: {
    ...sourceOptions,
    help: { type: 'boolean', short: 'h' },
  },
} as const;

/** The flags a command accepts, for "did you mean" hints. */
function flagList(command: Command): string[] {
  return Object.keys(optionsOf[command]).map((name) => `--${name}`);
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  // Close enough to be a typo: one edit in a short word, about one in three in a longer one.
  let bestDistance = Math.max(1, Math.floor(word.replace(/^--/, '').length / 3)) + 1;
  for (const candidate of candidates) {
    const row = Array.from({ length: candidate.length + 1 }, (_, j) => j);
    for (let i = 1; i <= word.length; i++) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= candidate.length; j++) {
        const saved = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (word[i - 1] === candidate[j - 1] ? 0 : 1));
        previous = saved;
      }
    }
    if (row[candidate.length] < bestDistance) [best, bestDistance] = [candidate, row[candidate.length]];
  }
  return best;
}

/** parseArgs' own complaint, said with the command's flags and how to see them. */
function usageFromParseError(command: Command, error: { code?: string; message: string }): UsageError {
  const help = `run \`waymark ${command} --help\` for the flags`;
  const unknown = /Unknown option '([^']+)'/.exec(error.message)?.[1];
  if (unknown) {
    const hint = nearest(unknown, flagList(command));
    return new UsageError(`${command}: unknown flag ${unknown}${hint ? `; did you mean ${hint}?` : ''} (${help})`);
  }
  const missingValue =
    /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(error.message)?.[1] ?? /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(error.message)?.[1];
  if (missingValue) return new UsageError(`${command}: ${missingValue} needs a value (${help})`);
  const positional = /Unexpected argument '([^']+)'/.exec(error.message)?.[1];
  if (positional) return new UsageError(`${command}: unexpected argument "${positional}": every value follows its flag, such as --out report.html (${help})`);
  const notBoolean = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(error.message)?.[1];
  if (notBoolean) return new UsageError(`${command}: ${notBoolean} takes no value (${help})`);
  return new UsageError(`${command}: ${error.message} (${help})`);
}

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isDay(value: string): boolean {
  const match = dayPattern.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** `day` moved by `days` (UTC). */
function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function checkDay(command: Command, flag: string, value: string): string {
  if (!isDay(value)) throw new UsageError(`${command}: --${flag} ${JSON.stringify(value)} is not a day: write it as YYYY-MM-DD, such as --${flag} 2026-05-01`);
  return value;
}

/** `--from`/`--to` as given, checked: real days, and `--from` not after `--to` (or after today when `--to` is left out). */
function period(command: Command, values: { from?: string; to?: string }, today: string): { from?: string; to?: string } {
  const to = values.to === undefined ? undefined : checkDay(command, 'to', values.to);
  const from = values.from === undefined ? undefined : checkDay(command, 'from', values.from);
  if (from !== undefined && from > (to ?? today)) {
    throw new UsageError(
      to === undefined
        ? `${command}: --from ${from} is in the future (today is ${today} UTC); give a past day, or --to as well`
        : `${command}: --from ${from} is after --to ${to}: the period runs from the first day to the last, both included`,
    );
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

function httpUrl(command: Command, flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${command}: --${flag} ${JSON.stringify(value)} is not a URL: write it like --${flag} http://127.0.0.1:${flag === 'clickhouse' ? 8123 : 8787}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${command}: --${flag} must be an http:// or https:// URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

function oneOf<T extends string>(command: Command, flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    const hint = nearest(value, allowed);
    throw new UsageError(`${command}: --${flag} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}${hint ? `; did you mean ${hint}?` : ''}`);
  }
  return value as T;
}

function nonEmpty(command: Command, flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${command}: --${flag} needs a value`);
  return value;
}

interface SourceValues {
  store?: string;
  clickhouse?: string;
  database?: string;
  collector?: string;
  key?: string;
}

function source(command: Command, values: SourceValues, env: Record<string, string | undefined>, allowCollector: boolean): ReportSource {
  const given = (['store', 'clickhouse', 'collector'] as const).filter((flag) => values[flag] !== undefined);
  const choices = allowCollector ? '--store <file>, --clickhouse <url> or --collector <url> --key <read key>' : '--store <file> or --clickhouse <url>';
  if (given.length === 0) throw new UsageError(`${command}: say where the events are: ${choices}`);
  if (given.length > 1) throw new UsageError(`${command}: give one source, not ${given.map((f) => `--${f}`).join(' and ')}`);
  if (values.database !== undefined && given[0] !== 'clickhouse') throw new UsageError(`${command}: --database goes with --clickhouse`);
  const key = values.key ?? env.WAYMARK_READ_KEY;
  if (values.key !== undefined && given[0] !== 'collector') throw new UsageError(`${command}: --key goes with --collector`);
  if (given[0] === 'store') return { kind: 'store', path: nonEmpty(command, 'store', values.store)! };
  if (given[0] === 'clickhouse') {
    const database = nonEmpty(command, 'database', values.database);
    if (database !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new UsageError(`${command}: --database ${JSON.stringify(database)} is not a database name (letters, digits, _)`);
    return {
      kind: 'clickhouse',
      url: httpUrl(command, 'clickhouse', values.clickhouse!),
      ...(database === undefined ? {} : { database }),
      ...(env.WAYMARK_CLICKHOUSE_USER ? { user: env.WAYMARK_CLICKHOUSE_USER } : {}),
      ...(env.WAYMARK_CLICKHOUSE_PASSWORD ? { password: env.WAYMARK_CLICKHOUSE_PASSWORD } : {}),
    };
  }
  if (!allowCollector) throw new UsageError(`${command}: --collector is not a source of \`waymark ${command}\`: use ${choices}`);
  if (key === undefined || key.trim() === '') {
    throw new UsageError(`${command}: --collector needs a read key: --key <read key>, or WAYMARK_READ_KEY in the environment (keeps it out of the process list)`);
  }
  return { kind: 'collector', url: httpUrl(command, 'collector', values.collector!), key };
}

/** The format from `--format`, else from the extension of `--out`, else HTML. */
function reportFormat(value: string | undefined, out: string): ReportFormat {
  if (value !== undefined) return oneOf('report', 'format', value, reportFormats);
  const extension = /\.(html?|md|markdown|json)$/i.exec(out)?.[1].toLowerCase();
  if (extension === 'md' || extension === 'markdown') return 'md';
  if (extension === 'json') return 'json';
  return 'html';
}

/** Inputs of {@link parseReportArgs} besides the arguments, so each case is testable. */
export interface ParseReportArgsOptions {
  /** The environment: `WAYMARK_READ_KEY`, `WAYMARK_CLICKHOUSE_USER`, `WAYMARK_CLICKHOUSE_PASSWORD`. @default process.env */
  env?: Record<string, string | undefined>;
  /** Today's UTC day, for the default period. @default the current UTC day */
  today?: string;
}

/**
 * Checks the flags of `waymark report`, `waymark export` or `waymark rollup` with `node:util` `parseArgs` (strict:
 * unknown flags and stray arguments are errors) and returns them typed, or throws a {@link UsageError} whose
 * message names the flag and the fix.
 * @example
 * ```ts
 * const args = parseReportArgs('report', ['--store', 'waymark.duckdb', '--from', '2026-05-01', '--to', '2026-05-31', '--out', 'may.html']);
 * ```
 */
export function parseReportArgs(command: Command, argv: readonly string[], options: ParseReportArgsOptions = {}): ParsedArgs {
  const env = options.env ?? process.env;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  let parsed: { values: Record<string, string | boolean | string[] | undefined> };
  try {
    parsed = parseArgs({ args: [...argv], options: optionsOf[command], strict: true, allowPositionals: false }) as typeof parsed;
  } catch (error) {
    throw usageFromParseError(command, error as { code?: string; message: string });
  }
  const values = parsed.values;
  if (values.help) return { command, help: true };
  const str = (name: string) => nonEmpty(command, name, values[name] as string | undefined);

  if (command === 'rollup') {
    return { command, source: source(command, values as SourceValues, env, false) as RollupArgs['source'] };
  }
  const src = source(command, values as SourceValues, env, command === 'report');
  const days = period(command, { from: values.from as string | undefined, to: values.to as string | undefined }, today);
  const out = str('out');
  if (out === undefined) {
    throw new UsageError(
      command === 'report'
        ? 'report: say where to write it: --out report.html (for --format csv, a directory: one file per report)'
        : 'export: say where to write it: --out events.parquet',
    );
  }
  const author = str('author');
  if (author !== undefined && src.kind === 'collector') {
    throw new UsageError(`${command}: --author does not go with --collector: the read key decides (a creator's key sees only its author's posts)`);
  }
  if (command === 'export') {
    const tableValue = str('table');
    if (tableValue === undefined) throw new UsageError(`export: say which table: --table ${exportTables.join('|')}`);
    const table = oneOf(command, 'table', tableValue, exportTables);
    const formatValue = str('format') ?? (/\.ndjson$|\.jsonl$/i.test(out) ? 'ndjson' : /\.parquet$/i.test(out) ? 'parquet' : undefined);
    if (formatValue === undefined) throw new UsageError(`export: say which format: --format ${exportFormats.join('|')}`);
    const format = oneOf(command, 'format', formatValue, exportFormats);
    if (format === 'parquet' && src.kind === 'clickhouse') throw new UsageError('export: ClickHouse 18.16 cannot write Parquet; use --format ndjson, or export from the DuckDB store');
    // An export is of raw rows: a default of the last 30 days keeps an unbounded table from being written by accident.
    const to = days.to ?? today;
    const from = days.from ?? addDays(to, -29);
    return { command, source: src as ExportArgs['source'], table, format, from, to, out, ...(author === undefined ? {} : { author }) };
  }
  const definitions = (values.definition as string[] | undefined) ?? [];
  for (const definition of definitions) if (definition.trim() === '') throw new UsageError('report: --definition needs a file or a built-in id');
  const title = str('title');
  return {
    command,
    source: src,
    ...days,
    definitions,
    format: reportFormat(str('format'), out),
    out,
    refresh: values.refresh === true,
    ...(author === undefined ? {} : { author }),
    ...(title === undefined ? {} : { title }),
  };
}
