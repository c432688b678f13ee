import type { ReportResult, ReportSet } from './reportResult';

/** Options of {@link renderCsv} and {@link renderCsvFiles}. */
export interface RenderCsvOptions {
  /**
   * Start the file with a UTF-8 byte order mark, so Excel reads accented place names correctly when the file is
   * double-clicked. Other tools (pandas, DuckDB, `csv` modules) do not need it.
   * @default false
   */
  bom?: boolean;
}

/** One CSV file of {@link renderCsvFiles}. */
export interface CsvFile {
  /** A safe file name from the report id (`content-by-post.csv`), unique within the set. */
  filename: string;
  /** The CSV text. */
  content: string;
}

// OWASP "CSV Injection": a cell starting with one of these is read as a formula by spreadsheet applications.
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * One CSV field: numbers as they are (ratios stay decimals such as `0.25`, negative numbers stay numbers), `null`
 * as an empty field, text always quoted (RFC 4180, `"` doubled) and, when it starts with `=`, `+`, `-`, `@`, a tab
 * or a carriage return, prefixed with `'` so spreadsheets show it as text instead of running it as a formula
 * (OWASP CSV injection guidance). Text that is exactly a number, such as `-5`, is left as it is.
 *
 * @example
 * csvField('=HYPERLINK("http://x")'); // '"\'=HYPERLINK(""http://x"")"'
 * csvField(-0.05); // '-0.05'
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value === 0 ? 0 : value) : '';
  const text = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Renders one report's table as CSV (RFC 4180: CRLF line ends, quoted text): a header row of the column labels,
 * then one line per row with raw values (no % or duration formatting; weighted counts keep their decimals).
 * Safe to open in a spreadsheet: see {@link csvField}.
 *
 * @example
 * await writeFile('content-by-post.csv', renderCsv(report));
 */
export function renderCsv(report: ReportResult, options: RenderCsvOptions = {}): string {
  const lines = [report.columns.map((column) => csvField(column.label)).join(',')];
  for (const row of report.rows) lines.push(report.columns.map((column) => csvField(row[column.key])).join(','));
  return `${options.bom ? '\uFEFF' : ''}${lines.join('\r\n')}\r\n`;
}

/**
 * Renders every report of a set as its own CSV file, named after the report id (lower case, only `a-z`, `0-9`,
 * `-` and `_`, so an id can never name a path outside the output folder), numbered when two ids collide.
 *
 * @example
 * for (const file of renderCsvFiles(set)) await writeFile(join(outDir, file.filename), file.content);
 */
export function renderCsvFiles(set: ReportSet, options: RenderCsvOptions = {}): CsvFile[] {
  const used = new Set<string>();
  return set.reports.map((report) => {
    const stem =
      report.id
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^[-_]+|[-_]+$/g, '')
        .slice(0, 100) || 'report';
    let filename = `${stem}.csv`;
    for (let n = 2; used.has(filename); n += 1) filename = `${stem}-${n}.csv`;
    used.add(filename);
    return { filename, content: renderCsv(report, options) };
  });
}
