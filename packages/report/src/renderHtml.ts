import { chartSpec, renderChartSvg } from './chartSvg';
import { formatGeneratedAt, formatPeriod, formatScope, formatValue, isNumericFormat, totalsOf } from './formatValue';
import type { ReportResult, ReportSet } from './reportResult';

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /**
   * Draw each report's charts as inline SVG; `false` leaves only the tables (smaller files, faster runs).
   * @default true
   */
  charts?: boolean;
  /**
   * Width of each chart's SVG in pixels; charts scale down on narrow screens either way.
   * @default 720
   */
  chartWidth?: number;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values.
 *
 * @example
 * escapeHtml('<img src=x onerror=alert(1)>'); // '&lt;img src=x onerror=alert(1)&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

// No script, font, image or connection may load: the file is opened from disk, mail and chat attachments.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; --accent: #2f6fb3;
  --note: #fff8e1; --note-line: #e0a800; --up: #1a7f37; --down: #c62828; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 1080px; margin: 0 auto; padding: 24px 16px 48px; }
header.top { border-bottom: 2px solid var(--ink); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 1.75rem; line-height: 1.2; margin: 0 0 6px; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; line-height: 1.25; margin: 0 0 6px; overflow-wrap: anywhere; }
.sub { color: var(--muted); margin: 0; }
nav.toc { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin-bottom: 28px; }
nav.toc h2 { font-size: 1rem; margin: 0 0 6px; }
nav.toc ol { margin: 0; padding-left: 1.4em; }
nav.toc li { margin: 2px 0; overflow-wrap: anywhere; }
a { color: var(--accent); }
section.report { border-top: 1px solid var(--line); padding-top: 20px; margin-top: 28px; }
.description { margin: 0 0 10px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px; font-size: 0.9rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
dl.meta ul { margin: 0; padding-left: 1.1em; }
.notes { background: var(--note); border-left: 4px solid var(--note-line); border-radius: 4px; padding: 8px 12px; margin: 0 0 14px; }
.notes p { margin: 4px 0; overflow-wrap: anywhere; }
figure.chart { margin: 0 0 16px; }
figure.chart figcaption { font-weight: 600; margin-bottom: 4px; overflow-wrap: anywhere; }
figure.chart .caveat { display: block; font-weight: 400; color: var(--muted); font-size: 0.85rem; }
figure.chart .plot { overflow-x: auto; -webkit-overflow-scrolling: touch; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); border-radius: 6px; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; padding: 6px 10px; color: var(--muted); }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td { overflow-wrap: anywhere; }
td.text { min-width: 9em; max-width: 28em; }
td.day { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: var(--up); } td.down { color: var(--down); }
td.none { color: var(--muted); font-style: italic; }
.empty { color: var(--muted); font-style: italic; }
.back { display: inline-block; margin-top: 8px; font-size: 0.85rem; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  .page { padding: 16px 10px 32px; }
  h1 { font-size: 1.4rem; }
  dl.meta { grid-template-columns: 1fr; }
  dl.meta dd { margin-bottom: 4px; }
  th, td { padding: 5px 8px; }
  /* Below this width a whole chart's labels get too small to read: keep it legible and let it pan. */
  figure.chart svg { min-width: 540px; }
}
@media print {
  body { font-size: 11pt; }
  .page { max-width: none; padding: 0; }
  nav.toc, .back { display: none; }
  section.report { break-before: page; border-top: 0; margin-top: 0; }
  section.report:first-of-type { break-before: auto; }
  figure.chart, .notes, dl.meta { break-inside: avoid; }
  .table-wrap, figure.chart .plot { overflow: visible; border: 0; }
  figure.chart svg { min-width: 0; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .notes { border-left-color: #000; background: none; }
}
`;

/**
 * Renders a report set as one self-contained HTML document: inline CSS, charts as inline SVG (ECharts, rendered
 * here), no script and nothing fetched (a Content-Security-Policy forbids it). A header with the set's title and
 * period, a table of contents, then one section per report with its description, period, scope, filters, notes
 * (such as the sampling note), charts and table. Every piece of text from events or definitions is escaped.
 *
 * @example
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('report.html', renderHtml(set));
 */
export function renderHtml(set: ReportSet, options: RenderHtmlOptions = {}): string {
  const anchors = anchorIds(set.reports);
  const period = formatPeriod(set.period);
  const toc = set.reports
    .map((report, index) => `<li><a href="#${anchors[index]}">${escapeHtml(report.title)}</a></li>`)
    .join('\n');
  const sections = set.reports.map((report, index) => renderSection(report, anchors[index], options)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="Waymark">
<title>${escapeHtml(set.title)} · ${escapeHtml(period)}</title>
<style>${STYLE}</style>
</head>
<body>
<div class="page">
<header class="top">
<h1>${escapeHtml(set.title)}</h1>
<p class="sub">Period ${escapeHtml(period)} · generated <time datetime="${escapeHtml(set.generatedAt)}">${escapeHtml(formatGeneratedAt(set.generatedAt))}</time></p>
</header>
<nav class="toc" id="contents" aria-label="Contents">
<h2>Contents</h2>
${set.reports.length === 0 ? '<p class="empty">This set has no reports.</p>' : `<ol>\n${toc}\n</ol>`}
</nav>
<main>
${sections}
</main>
<footer>Generated by Waymark from events collected on this site. Counts from sampled events are weighted by their sample rate.</footer>
</div>
</body>
</html>
`;
}

function anchorIds(reports: ReportResult[]): string[] {
  const used = new Set<string>();
  return reports.map((report) => {
    const slug = report.id.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'report';
    let id = `report-${slug}`;
    for (let n = 2; used.has(id); n += 1) id = `report-${slug}-${n}`;
    used.add(id);
    return id;
  });
}

function renderSection(report: ReportResult, anchor: string, options: RenderHtmlOptions): string {
  const parts: string[] = [`<section class="report" id="${anchor}" aria-labelledby="${anchor}-title">`];
  parts.push(`<h2 id="${anchor}-title">${escapeHtml(report.title)}</h2>`);
  if (report.description) parts.push(`<p class="description">${escapeHtml(report.description)}</p>`);
  parts.push(renderMeta(report));
  if (report.notes.length > 0) {
    parts.push(
      `<div class="notes" role="note" aria-label="Notes">\n${report.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('\n')}\n</div>`,
    );
  }
  if (options.charts !== false && report.rows.length > 0) {
    for (const chart of report.charts) {
      const spec = chartSpec({ report, chart, width: options.chartWidth });
      const caption = chart.title ?? defaultChartTitle(report, chart.type === 'bar' || chart.type === 'line' ? chart.series : chart.series.slice(0, 1));
      const caveat = spec.caveat ? `<span class="caveat">${escapeHtml(spec.caveat)}</span>` : '';
      parts.push(
        `<figure class="chart chart-${chart.type}">\n<figcaption>${escapeHtml(caption)}${caveat}</figcaption>\n<div class="plot">${renderChartSvg(spec)}</div>\n</figure>`,
      );
    }
  }
  const totals = totalsOf(report);
  if (totals) parts.push(`<h3 class="totals" id="${anchor}-totals-title">Period totals</h3>\n${renderTable(totals, `${anchor}-totals`)}`);
  parts.push(renderTable(report, anchor));
  parts.push('<a class="back" href="#contents">Back to contents</a>');
  parts.push('</section>');
  return parts.join('\n');
}

function defaultChartTitle(report: ReportResult, series: string[]): string {
  const labels = series.map((key) => report.columns.find((column) => column.key === key)?.label ?? key);
  return labels.join(', ');
}

function renderMeta(report: ReportResult): string {
  const rows: [string, string][] = [];
  let period = escapeHtml(formatPeriod(report.period));
  if (report.comparison) period += `, compared with ${escapeHtml(formatPeriod(report.comparison))}`;
  rows.push(['Period', period]);
  const scope = formatScope(report.scope);
  if (scope !== undefined) rows.push(['Scope', escapeHtml(scope)]);
  rows.push([
    'Filters',
    report.filters.length === 0
      ? 'none'
      : report.filters.length === 1
        ? escapeHtml(report.filters[0])
        : `<ul>${report.filters.map((filter) => `<li>${escapeHtml(filter)}</li>`).join('')}</ul>`,
  ]);
  return `<dl class="meta">\n${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('\n')}\n</dl>`;
}

function renderTable(report: ReportResult, anchor: string): string {
  if (report.rows.length === 0) return '<p class="empty">No rows for this period.</p>';
  const head = report.columns
    .map((column) => `<th scope="col"${isNumericFormat(column.format) ? ' class="num"' : ''}>${escapeHtml(column.label)}</th>`)
    .join('');
  const body = report.rows
    .map((row) => {
      const cells = report.columns.map((column) => {
        const value = row[column.key];
        const classes: string[] = [];
        classes.push(isNumericFormat(column.format) ? 'num' : column.format);
        if (column.format === 'change' && typeof value === 'number' && Math.abs(value) >= 0.0005) {
          classes.push(value > 0 ? 'up' : 'down');
        }
        if (value === '' || value === null || value === undefined) classes.push('none');
        const attr = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
        return `<td${attr}>${escapeHtml(formatValue(value, column.format))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap" role="region" aria-labelledby="${anchor}-title" tabindex="0">
<table>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
</div>`;
}
