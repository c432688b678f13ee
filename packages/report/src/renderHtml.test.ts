import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtml } from './renderHtml';
import type { ReportResult, ReportSet } from './reportResult';

const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '<img src=x onerror=alert(1)>';
const SAMPLING = 'Counts are weighted by each event\'s sample rate: 12% of the events in this period were sampled.';

const content: ReportResult = {
  id: 'content-by-post',
  title: `Content ${SCRIPT}`,
  description: `Posts by "campaign" ${IMG}`,
  kind: 'table',
  period: { from: '2026-10-01', to: '2026-10-31' },
  comparison: { from: '2026-09-01', to: '2026-09-30' },
  scope: { role: 'creator', authorId: '"ana"<x>' },
  filters: [`utm_campaign = ${IMG}`, 'device = mobile'],
  columns: [
    { key: 'post', label: 'Post', format: 'text' },
    { key: 'views', label: 'Views', format: 'count' },
    { key: 'rate', label: 'Read-through rate', format: 'ratio' },
    { key: 'views_change', label: 'Views change', format: 'change' },
    { key: 'engaged', label: 'Median engaged time', format: 'duration' },
  ],
  rows: [
    { post: SCRIPT, views: 1234.4, rate: 0.432, views_change: 0.12, engaged: 65000 },
    { post: IMG, views: 7, rate: null, views_change: -0.05, engaged: 2500 },
    { post: '', views: 0, rate: 0, views_change: null, engaged: 0 },
  ],
  charts: [
    { type: 'bar', x: 'post', series: ['views'], title: `Views by post ${IMG}` },
    { type: 'funnel', x: 'post', series: ['views'] },
  ],
  notes: [SAMPLING, `Partner ${SCRIPT} was renamed.`],
};

const quality: ReportResult = {
  id: 'content-by-post',
  title: 'Data quality',
  kind: 'quality',
  period: { from: '2026-10-01', to: '2026-10-31' },
  scope: { role: 'marketing' },
  filters: [],
  columns: [{ key: 'reason', label: 'Reason', format: 'text' }],
  rows: [],
  charts: [{ type: 'bar', x: 'reason', series: ['reason'] }],
  notes: [],
};

const set: ReportSet = {
  title: `October ${IMG}`,
  generatedAt: '2026-11-01T09:30:00.000Z',
  period: { from: '2026-10-01', to: '2026-10-31' },
  reports: [content, quality],
};

function cells(html: string): string[][] {
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) => [...row[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) => cell[1]));
}

describe('renderHtml', () => {
  const html = renderHtml(set);

  it('is one document with a restrictive CSP and nothing to fetch', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b|<[^>]*\s(src|href)="(?!#)|@import|url\((?!#)/i);
  });

  it('escapes every piece of event and definition text', () => {
    expect(html).toContain('<title>October &lt;img src=x onerror=alert(1)&gt; · 2026-10-01 – 2026-10-31</title>');
    expect(html).toContain('<h1>October &lt;img src=x onerror=alert(1)&gt;</h1>');
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(html).toContain('<p class="description">Posts by &quot;campaign&quot; &lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html).toContain('<dd>Creator view: posts by author &quot;ana&quot;&lt;x&gt; only</dd>');
    expect(html).toContain('<li>utm_campaign = &lt;img src=x onerror=alert(1)&gt;</li>');
    expect(html).toContain('<figcaption>Views by post &lt;img src=x onerror=alert(1)&gt;</figcaption>');
    expect(escapeHtml(`"'&<>`)).toBe('&quot;&#39;&amp;&lt;&gt;');
  });

  it('has a header with the period and a table of contents linking every section', () => {
    expect(html).toContain('<p class="sub">Period 2026-10-01 – 2026-10-31 · generated <time datetime="2026-11-01T09:30:00.000Z">2026-11-01 09:30 UTC</time></p>');
    expect(html).toContain('<li><a href="#report-content-by-post">Content &lt;script&gt;window.__pwned=1&lt;/script&gt;</a></li>');
    // Two reports with the same id still get their own anchor.
    expect(html).toContain('<li><a href="#report-content-by-post-2">Data quality</a></li>');
    expect(html).toContain('<section class="report" id="report-content-by-post" ');
    expect(html).toContain('<section class="report" id="report-content-by-post-2" ');
  });

  it('prints period, comparison, scope, filters and every note', () => {
    expect(html).toContain('<dt>Period</dt><dd>2026-10-01 – 2026-10-31, compared with 2026-09-01 – 2026-09-30</dd>');
    expect(html).toContain('<dt>Scope</dt><dd>Marketing view: aggregates only</dd>');
    expect(html).toContain('<dt>Filters</dt><dd>none</dd>');
    expect(html).toContain(`<div class="notes" role="note" aria-label="Notes">\n<p>Counts are weighted by each event&#39;s sample rate: 12% of the events in this period were sampled.</p>\n<p>Partner &lt;script&gt;window.__pwned=1&lt;/script&gt; was renamed.</p>\n</div>`);
  });

  it('formats table cells by column', () => {
    expect(html).toContain('<th scope="col">Post</th><th scope="col" class="num">Views</th>');
    expect(cells(html)).toEqual([
      ['&lt;script&gt;window.__pwned=1&lt;/script&gt;', '1,234', '43.2%', '+12%', '1m 05s'],
      ['&lt;img src=x onerror=alert(1)&gt;', '7', '–', '\u22125%', '2.5s'],
      ['(none)', '0', '0%', '–', '0ms'],
    ]);
    expect(html).toContain('<td class="num up">+12%</td>');
    expect(html).toContain('<td class="num down">\u22125%</td>');
    expect(html).toContain('<td class="text none">(none)</td>');
  });

  it('draws each chart as inline SVG with escaped labels, and none for an empty report', () => {
    const svgs = html.match(/<svg\b/g) ?? [];
    expect(svgs).toHaveLength(2);
    expect(html).toContain('<figure class="chart chart-bar">');
    expect(html).toContain('<figure class="chart chart-funnel">\n<figcaption>Views</figcaption>');
    const quality = html.slice(html.indexOf('id="report-content-by-post-2"'));
    expect(quality).not.toContain('<svg');
    expect(quality).toContain('<p class="empty">No rows for this period.</p>');
  });

  it('leaves charts out when asked', () => {
    expect(renderHtml(set, { charts: false })).not.toContain('<svg');
    expect(renderHtml(set, { chartWidth: 480 })).toContain('viewBox="0 0 480 ');
  });
});
