import { formatGeneratedAt, formatPeriod, formatScope, formatValue, isNumericFormat, totalsOf } from './formatValue';
import type { ReportResult, ReportSet } from './reportResult';

/**
 * Escapes text for inline GitHub-flavoured Markdown so it shows literally: backslash-escapes the characters that
 * start emphasis, strikethrough, code, links, HTML, entities, headings and table cells (`\ ` * _ ~ [ ] < > & # |`),
 * leaving `_` inside words alone (GFM never reads it as emphasis there). Line breaks become spaces, or `<br>` in a
 * table cell (`{ cell: true }`). Outside cells, a leading `1.`, `-`, `+` or `=` is escaped too (no accidental list).
 *
 * @example
 * escapeMarkdown('a|b <script>', { cell: true }); // 'a\\|b \\<script\\>'
 */
export function escapeMarkdown(text: string, options: { cell?: boolean } = {}): string {
  const escaped = text
    .replace(/[\\`*~[\]<>&#|]/g, '\\$&')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(/\r\n|\r|\n/g, options.cell ? '<br>' : ' ');
  if (options.cell) return escaped;
  return escaped
    .trimStart()
    .replace(/^(\d+)([.)])/, '$1\\$2')
    .replace(/^[-+=]/, '\\$&');
}

/**
 * Renders a report set as GitHub-flavoured Markdown: a heading with the set's period, then per report its
 * description, period, scope and filters as a list, each note as a blockquote, and the table with formatted values
 * (numbers right-aligned). Charts are left out; every piece of text is escaped, `|` and line breaks included.
 *
 * @example
 * await writeFile('report.md', renderMarkdown(set));
 */
export function renderMarkdown(set: ReportSet): string {
  const parts: string[] = [
    `# ${escapeMarkdown(set.title)}`,
    `Period ${escapeMarkdown(formatPeriod(set.period))} · generated ${escapeMarkdown(formatGeneratedAt(set.generatedAt))}`,
  ];
  if (set.reports.length === 0) parts.push('_This set has no reports._');
  for (const report of set.reports) parts.push(renderReport(report));
  return `${parts.join('\n\n')}\n`;
}

function renderReport(report: ReportResult): string {
  const parts: string[] = [`## ${escapeMarkdown(report.title)}`];
  if (report.description) parts.push(escapeMarkdown(report.description));
  let period = `- Period: ${escapeMarkdown(formatPeriod(report.period))}`;
  if (report.comparison) period += `, compared with ${escapeMarkdown(formatPeriod(report.comparison))}`;
  const meta = [period];
  const scope = formatScope(report.scope);
  if (scope !== undefined) meta.push(`- Scope: ${escapeMarkdown(scope)}`);
  meta.push(`- Filters: ${report.filters.length === 0 ? 'none' : report.filters.map((filter) => escapeMarkdown(filter)).join('; ')}`);
  parts.push(meta.join('\n'));
  for (const note of report.notes) {
    parts.push(
      note
        .split(/\r\n|\r|\n/)
        .map((line, index) => `> ${index === 0 ? '**Note:** ' : ''}${escapeMarkdown(line)}`.trimEnd())
        .join('\n'),
    );
  }
  const totals = totalsOf(report);
  if (totals) parts.push(`**Period totals**\n\n${renderTable(totals)}`);
  parts.push(renderTable(report));
  return parts.join('\n\n');
}

function renderTable(report: ReportResult): string {
  if (report.rows.length === 0) return '_No rows for this period._';
  const header = report.columns.map((column) => escapeMarkdown(column.label, { cell: true }) || ' ');
  const align = report.columns.map((column) => (isNumericFormat(column.format) ? '---:' : ':---'));
  const lines = [row(header), row(align)];
  for (const values of report.rows) {
    lines.push(row(report.columns.map((column) => escapeMarkdown(formatValue(values[column.key], column.format), { cell: true }))));
  }
  return lines.join('\n');
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}
