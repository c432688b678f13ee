import { afterEach, describe, expect, it } from 'vitest';
import { chartSpec, renderChartSvg } from './chartSvg';
import type { ReportChart, ReportResult } from './reportResult';

const HOSTILE_TAG = '<script>window.__pwned=1</script>';
const HOSTILE_QUOTE = 'a"b\'c&d';

function report(columns: ReportResult['columns'], rows: ReportResult['rows']): ReportResult {
  return { id: 'r', title: 'R', kind: 'table', period: { from: '2026-10-01', to: '2026-10-31' }, filters: [], columns, rows, charts: [], notes: [] };
}

const posts = report(
  [
    { key: 'post', label: 'Post', format: 'text' },
    { key: 'views', label: 'Views', format: 'count' },
    { key: 'rate', label: 'Read-through rate', format: 'ratio' },
  ],
  [
    { post: HOSTILE_TAG, views: 1234.4, rate: 0.5 },
    { post: HOSTILE_QUOTE, views: 800, rate: 0.25 },
    { post: '', views: 30, rate: null },
  ],
);

function svgOf(r: ReportResult, chart: ReportChart): string {
  return renderChartSvg(chartSpec({ report: r, chart }));
}

/** Text of every SVG `<text>` element, entities left as ECharts wrote them. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
}

/** Shapes ECharts drew for data (bars, points, funnel steps, heatmap cells), tagged by series. */
function dataShapes(svg: string, series = 0): number {
  return [...svg.matchAll(/ecmeta_series_index="(\d+)" ecmeta_data_index="\d+" ecmeta_ssr_type="chart"/g)].filter(
    (match) => Number(match[1]) === series,
  ).length;
}

describe('chartSpec + renderChartSvg', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = tz;
  });

  it('draws one bar per row with escaped category labels and formatted values', () => {
    const svg = svgOf(posts, { type: 'bar', x: 'post', series: ['views'] });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('viewBox="0 0 720 ');
    expect(dataShapes(svg)).toBe(3);
    const labels = texts(svg);
    expect(labels).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(labels).toContain('a&quot;b&#39;c&amp;d');
    expect(labels).toContain('(none)');
    expect(labels).toEqual(expect.arrayContaining(['1,234', '800', '30']));
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('a"b');
  });

  it('draws the first rows of a long bar chart and says so', () => {
    const rows = Array.from({ length: 45 }, (_, i) => ({ post: `post-${i}`, views: 100 - i, rate: 0 }));
    const spec = chartSpec({ report: report(posts.columns, rows), chart: { type: 'bar', x: 'post', series: ['views'] }, maxCategories: 10 });
    expect(dataShapes(renderChartSvg(spec))).toBe(10);
    expect(spec.caveat).toBe('The chart shows the first 10 of 45 rows.');
    expect(chartSpec({ report: posts, chart: { type: 'bar', x: 'post', series: ['views'] } }).caveat).toBeUndefined();
  });

  it('draws grouped bars with a legend when there are two series', () => {
    const svg = svgOf(posts, { type: 'bar', x: 'post', series: ['views', 'rate'] });
    expect(dataShapes(svg, 0)).toBe(3);
    // The third post's rate is null: no bar, not a zero bar.
    expect(dataShapes(svg, 1)).toBe(2);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Views', 'Read-through rate']));
  });

  it('draws a line per series on a UTC day axis, in day order', () => {
    process.env.TZ = 'America/Los_Angeles';
    const days = report(
      [
        { key: 'day', label: 'Day', format: 'day' },
        { key: 'views', label: 'Views', format: 'count' },
        { key: 'views_previous', label: 'Views, previous period', format: 'count' },
      ],
      [
        { day: '2026-10-03', views: 30, views_previous: 40 },
        { day: '2026-10-01', views: 120, views_previous: 90 },
        { day: '2026-10-02', views: 80, views_previous: 100 },
        { day: '2026-10-04', views: 60, views_previous: null },
      ],
    );
    const spec = chartSpec({ report: days, chart: { type: 'line', x: 'day', series: ['views', 'views_previous'] } });
    const svg = renderChartSvg(spec);
    expect(dataShapes(svg, 0)).toBe(4);
    expect(dataShapes(svg, 1)).toBe(3);
    const labels = texts(svg);
    expect(labels).toEqual(expect.arrayContaining(['Oct 1', 'Oct 2', 'Oct 3', 'Oct 4', 'Views', 'Views, previous period']));
    expect(labels).not.toContain('Sep 30');
    // Ticks sit on UTC midnights, where the points are, whatever the machine's time zone.
    const labelX = Number(/translate\(([\d.]+) [\d.]+\)"[^>]*>Oct 2</.exec(svg)?.[1]);
    const pointX = Number(/matrix\([^,]+,[^,]+,[^,]+,[^,]+,([\d.]+),[\d.]+\)"[^>]*ecmeta_series_index="0" ecmeta_data_index="1"/.exec(svg)?.[1]);
    expect(labelX).toBeGreaterThan(0);
    expect(labelX).toBeCloseTo(pointX, 0);
    const series = spec.option.series as { data: [number, number | null][] }[];
    expect(series[0].data.map(([time]) => new Date(time).toISOString().slice(0, 10))).toEqual([
      '2026-10-01',
      '2026-10-02',
      '2026-10-03',
      '2026-10-04',
    ]);
    expect(series[0].data.map(([, value]) => value)).toEqual([120, 80, 30, 60]);
    expect(svg).toContain('stroke-dasharray');
  });

  it('draws funnel steps in row order with their counts and conversion', () => {
    const funnel = report(
      [
        { key: 'step', label: 'Step', format: 'text' },
        { key: 'readers', label: 'Readers', format: 'count' },
        { key: 'conversion', label: 'Conversion', format: 'ratio' },
      ],
      [
        { step: 'Post viewed', readers: 1000, conversion: 1 },
        { step: 'Post read', readers: 420, conversion: 0.42 },
        { step: '<b>Clicked</b>', readers: 37, conversion: 0.088 },
        { step: `Booked ${'a very long step name '.repeat(4)}`, readers: 3, conversion: 0.003 },
      ],
    );
    const svg = svgOf(funnel, { type: 'funnel', x: 'step', series: ['readers', 'conversion'] });
    expect(dataShapes(svg)).toBe(4);
    expect(texts(svg)).toEqual([
      'Post viewed: 1,000 (100%)',
      'Post read: 420 (42%)',
      '&lt;b&gt;Clicked&lt;/b&gt;: 37 (8.8%)',
      // A long name is shortened, never its figures.
      'Booked a very long step name a very…: 3 (0.3%)',
    ]);
  });

  it('draws a retention heatmap cell per value, cohorts top to bottom', () => {
    const retention = report(
      [
        { key: 'cohort', label: 'First visit week', format: 'day' },
        { key: 'week', label: 'Weeks since first visit', format: 'number' },
        { key: 'retained', label: 'Readers back', format: 'ratio' },
      ],
      [
        { cohort: '2026-09-28', week: 0, retained: 1 },
        { cohort: '2026-09-28', week: 1, retained: 0.31 },
        { cohort: '2026-09-28', week: 2, retained: 0.2 },
        { cohort: '2026-10-05', week: 0, retained: 1 },
        { cohort: '2026-10-05', week: 1, retained: 0.27 },
        { cohort: '2026-10-12', week: 0, retained: 1 },
        { cohort: '2026-10-12', week: 1, retained: null },
      ],
    );
    const svg = svgOf(retention, { type: 'heatmap', x: 'week', y: 'cohort', series: ['retained'] });
    expect(dataShapes(svg)).toBe(6);
    const labels = texts(svg);
    expect(labels.filter((label) => label === '100%')).toHaveLength(3);
    expect(labels).toEqual(expect.arrayContaining(['31%', '20%', '27%', '0', '1', '2', 'Weeks since first visit']));
    const cohorts = labels.filter((label) => /^2026-/.test(label));
    expect(cohorts).toEqual(['2026-09-28', '2026-10-05', '2026-10-12']);
    const y = (label: string) => Number(new RegExp(`translate\\([\\d.]+ ([\\d.]+)\\)"[^>]*>${label}<`).exec(svg)?.[1]);
    expect(y('2026-09-28')).toBeLessThan(y('2026-10-12'));
  });

  it('reads a wide heatmap (one column per period) when the chart names no y', () => {
    const wide = report(
      [
        { key: 'cohort', label: 'Cohort', format: 'text' },
        { key: 'w0', label: 'Week 0', format: 'ratio' },
        { key: 'w1', label: 'Week 1', format: 'ratio' },
      ],
      [
        { cohort: HOSTILE_QUOTE, w0: 1, w1: 0.5 },
        { cohort: 'b', w0: 1, w1: null },
      ],
    );
    const svg = svgOf(wide, { type: 'heatmap', x: 'cohort', series: ['w0', 'w1'] });
    expect(dataShapes(svg)).toBe(3);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Week 0', 'Week 1', 'a&quot;b&#39;c&amp;d', '50%']));
  });

  it('escapes series names in the legend', () => {
    const r = report(
      [
        { key: 'day', label: 'Day', format: 'day' },
        { key: 'a', label: '<img src=x onerror=alert(1)>', format: 'count' },
        { key: 'b', label: 'B', format: 'count' },
      ],
      [{ day: '2026-10-01', a: 1, b: 2 }],
    );
    const svg = svgOf(r, { type: 'line', x: 'day', series: ['a', 'b'] });
    expect(texts(svg)).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(svg).not.toContain('<img');
  });

  it('names the missing column when a chart does not match its report', () => {
    expect(() => chartSpec({ report: posts, chart: { type: 'bar', x: 'post', series: ['shares'] } })).toThrow(
      '[waymark] the bar chart of report "r" names series "shares", which is not one of its columns (post, views, rate)',
    );
    expect(() => chartSpec({ report: posts, chart: { type: 'heatmap', x: 'post', y: 'week', series: ['views'] } })).toThrow(
      'names y "week"',
    );
  });
});
