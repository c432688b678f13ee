import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinDefinitions } from './builtinDefinitions';
import { DefinitionError, loadDefinition, parseDefinition, parseDefinitionText } from './loadDefinition';
import { metricKeys } from './metricCatalogue';

const base = { id: 'posts', title: 'Posts', metrics: ['views'], dimensions: ['post'] };

/** The issues a definition is refused with. */
function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseDefinition(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    return (error as DefinitionError).issues;
  }
  throw new Error('the definition was accepted');
}

describe('parseDefinition', () => {
  it('fills in the defaults of a minimal table', () => {
    expect(parseDefinition(base)).toEqual({ ...base, kind: 'table', filters: [] });
  });

  it('loads every built-in definition with the same loader', () => {
    const ids = builtinDefinitions().map((definition) => definition.id);
    expect(ids).toEqual([
      'overview',
      'content-by-post',
      'content-by-author',
      'content-by-destination',
      'content-by-theme',
      'shares-by-network',
      'trending-destinations',
      'segment-age-band',
      'segment-home-country',
      'segment-traveller-type',
      'segment-budget',
      'segment-trip-style',
      'segment-engagement-tier',
      'segment-device',
      'segment-campaign',
      'funnel-read-to-click',
      'retention-readers',
      'web-vitals-by-template',
      'data-quality',
    ]);
  });

  it('names an unknown metric with the closest one and the known list', () => {
    expect(issuesOf({ ...base, metrics: ['views', 'shares', 'view'] })).toEqual([
      { path: 'metrics[2]', message: `unknown metric "view"; did you mean "views"? Known: ${metricKeys.join(', ')}` },
    ]);
  });

  it('names an unknown dimension, segment and split', () => {
    const issues = issuesOf({ ...base, dimensions: ['destinaton'], segment: { traveler_type: ['family'] }, split: 'post' });
    expect(issues.map((issue) => issue.path)).toEqual(['dimensions[0]', 'segment.traveler_type', 'split']);
    expect(issues[0].message).toMatch(/^unknown dimension "destinaton"; did you mean "destination"\? Known: day, week, event, post,/);
    expect(issues[1].message).toMatch(/^unknown segment dimension "traveler_type"; did you mean "traveller_type"\? Known: device, country,/);
    expect(issues[2].message).toMatch(/^"post" is not a segment dimension; filter on it with "filters", or use one of: device,/);
  });

  it('rejects unknown keys, with the key that was meant', () => {
    const { metrics, ...rest } = base;
    expect(issuesOf({ ...rest, metric: metrics, filters: [{ dimenson: 'device', in: ['mobile'] }] })).toEqual([
      { path: 'filters[0].dimension', message: 'is required; add "dimension": "device"' },
      { path: 'filters[0].dimenson', message: 'unknown key; did you mean "dimension"? Allowed keys: dimension, in, notIn' },
      {
        path: 'metric',
        message:
          'unknown key; did you mean "metrics"? Allowed keys: $schema, id, title, description, kind, metrics, dimensions, filters, segment, split, period, compare, sort, limit, chart, minVolume, steps, within, weeks',
      },
      { path: 'metrics', message: 'a table report needs at least one metric; add "metrics": ["views"]' },
    ]);
  });

  it('says what type was expected and what was given', () => {
    expect(issuesOf({ ...base, limit: '20', title: 7 })).toEqual([
      { path: 'title', message: 'expected a string, got 7' },
      { path: 'limit', message: 'expected a number, got "20"' },
    ]);
    expect(issuesOf({ ...base, limit: 2.5 })).toEqual([{ path: 'limit', message: 'expected a whole number, got 2.5' }]);
  });

  it('suggests the enum value that was meant', () => {
    expect(issuesOf({ ...base, kind: 'tabel' })).toEqual([
      { path: 'kind', message: 'unknown value "tabel"; did you mean "table"? Use one of: table, overview, trending, funnel, retention, quality' },
    ]);
  });

  it('asks for a missing title and id with an example', () => {
    expect(issuesOf({ metrics: ['views'] })).toEqual([
      { path: 'id', message: 'is required; add "id": "content-by-post"' },
      { path: 'title', message: 'is required; add "title": "Content performance by post"' },
    ]);
    expect(issuesOf({ ...base, id: 'Content By Post' })).toEqual([{ path: 'id', message: 'use lowercase letters, digits and dashes, such as "content-by-post"' }]);
  });

  it('refuses fields of another kind of report', () => {
    expect(issuesOf({ ...base, minVolume: 10, weeks: 4 })).toEqual([
      { path: 'minVolume', message: 'only a trending report uses "minVolume" (the fewest views to be ranked); remove it or set "kind": "trending"' },
      { path: 'weeks', message: 'only a retention report uses "weeks" (weeks shown per cohort); remove it or set "kind": "retention"' },
    ]);
  });

  it('checks the shape each kind needs', () => {
    expect(issuesOf({ ...base, dimensions: ['post', 'author', 'device'] })).toEqual([
      { path: 'dimensions', message: 'at most 2 dimensions, got 3; use "split" or "filters" for a third' },
    ]);
    expect(issuesOf({ id: 't', title: 'T', kind: 'trending', metrics: ['views', 'shares'], dimensions: ['destination'], compare: 'none' })).toEqual([
      { path: 'metrics', message: 'a trending report ranks one additive metric; write "metrics": ["views"]' },
      { path: 'compare', message: 'a trending report always compares with the previous period; remove "compare"' },
    ]);
    expect(issuesOf({ id: 't', title: 'T', kind: 'trending', metrics: ['read_through_rate'], dimensions: ['destination'] })).toEqual([
      { path: 'metrics[0]', message: '"read_through_rate" is not an additive count; rank by a count such as "views", "shares" or "affiliate_clicks"' },
    ]);
    expect(issuesOf({ id: 'f', title: 'F', kind: 'funnel', metrics: ['views'], steps: [{ event: 'post_red' }] })).toEqual([
      { path: 'metrics', message: 'a funnel counts sessions (or visitors) per step; remove "metrics"' },
      { path: 'steps', message: 'a funnel needs 2 to 8 steps, got 1' },
      { path: 'steps[0].event', message: 'unknown event "post_red"; did you mean "post_read"?' },
    ]);
    expect(issuesOf({ id: 'o', title: 'O', kind: 'overview', metrics: ['views'], dimensions: ['post'], sort: [{ by: 'views' }] })).toEqual([
      { path: 'dimensions', message: 'an overview has one row per day; remove "dimensions" (use "split" for one block per segment)' },
      { path: 'sort', message: 'an overview is ordered by day; remove "sort"' },
    ]);
  });

  it('checks filters', () => {
    expect(
      issuesOf({
        ...base,
        filters: [
          { dimension: 'device', in: ['mobile'], notIn: ['tablet'] },
          { dimension: 'device' },
          { dimension: 'day', in: ['2026-10-01', 'yesterday'] },
          { dimension: 'event', in: ['page_view'] },
          { dimension: 'device', in: [] },
        ],
      }),
    ).toEqual([
      { path: 'filters[4].in', message: 'list at least one value, such as ["mobile"]' },
      { path: 'filters[0]', message: 'give either "in" or "notIn", not both' },
      { path: 'filters[1]', message: 'add "in": ["value", ...] (keep these values) or "notIn": [...] (drop them)' },
      { path: 'filters[2].in[1]', message: 'expected a day as "YYYY-MM-DD", got "yesterday"' },
      { path: 'filters[3].in[0]', message: 'unknown event "page_view"; did you mean "page_viewed"?' },
    ]);
  });

  it('checks the period', () => {
    expect(issuesOf({ ...base, period: { last: 30, from: '2026-10-01', to: '2026-10-31' } })).toEqual([
      { path: 'period', message: 'give either "last" or "from" and "to", not both' },
    ]);
    expect(issuesOf({ ...base, period: { from: '2026-10-31', to: '2026-10-01' } })).toEqual([{ path: 'period.from', message: '2026-10-31 is after "to" (2026-10-01); swap them' }]);
    expect(issuesOf({ ...base, period: { from: '2026-02-30', to: '2026-03-01' } })).toEqual([
      { path: 'period.from', message: 'is not a calendar day; write a real date such as "2026-10-01"' },
    ]);
    expect(issuesOf({ ...base, period: { from: '2026-10-01' } })).toEqual([
      { path: 'period', message: 'add "to": a fixed period needs both days, such as { "from": "2026-10-01", "to": "2026-10-31" }' },
    ]);
    expect(issuesOf({ ...base, period: { last: 0 } })).toEqual([{ path: 'period.last', message: 'must be at least 1, got 0' }]);
  });

  it('checks sort and chart columns against the report', () => {
    expect(issuesOf({ ...base, sort: [{ by: 'view' }, { by: 'views_change' }], chart: { type: 'heatmap', series: ['shares'], x: 'author' } })).toEqual([
      { path: 'sort[0].by', message: '"view" is not a column of this report; did you mean "views"? Sort by one of: post, views' },
      { path: 'sort[1].by', message: '"views_change" is not a column of this report; did you mean "views"? Sort by one of: post, views' },
      { path: 'chart.type', message: 'a table report draws "bar" or "line" charts, not "heatmap"' },
      { path: 'chart.series[0]', message: '"shares" is not a metric of this report; plot one of: views' },
      { path: 'chart.x', message: '"author" is not a dimension of this report; use one of: post' },
    ]);
  });

  it('reports several mistakes together in one error message', () => {
    let error: unknown;
    try {
      parseDefinition({ id: 'x', title: 'X', metrics: ['view'], dimensions: ['pst'], limt: 5 }, 'reports/x.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    const message = (error as Error).message.split('\n');
    expect(message[0]).toBe('[waymark] report definition reports/x.json: 3 mistakes');
    expect(message.slice(1).map((line) => line.split(':')[0].trim())).toEqual(['limt', 'metrics[0]', 'dimensions[0]']);
    expect(message[1]).toBe('  limt: unknown key; did you mean "limit"? Allowed keys: $schema, id, title, description, kind, metrics, dimensions, filters, segment, split, period, compare, sort, limit, chart, minVolume, steps, within, weeks');
  });
});

describe('loadDefinition', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-definitions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and validates a file', async () => {
    const file = join(dir, 'posts.json');
    writeFileSync(file, JSON.stringify({ ...base, kind: 'table' }));
    await expect(loadDefinition(file)).resolves.toMatchObject({ id: 'posts', metrics: ['views'] });
  });

  it('points at a JSON syntax error by line and column', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "id": "x",\n  "metrics": ["views",]\n}');
    const error = (await loadDefinition(file).catch((e: unknown) => e)) as DefinitionError;
    expect(error).toBeInstanceOf(DefinitionError);
    expect(error.issues[0].path).toBe('(root)');
    expect(error.issues[0].message).toBe('not valid JSON at line 3, column 23: unexpected "]"');
    expect(error.message.startsWith(`[waymark] report definition ${file}: (root): not valid JSON`)).toBe(true);
  });

  it('says when the file does not exist', async () => {
    const file = join(dir, 'missing.json');
    await expect(loadDefinition(file)).rejects.toThrow(`[waymark] report definition ${file}: (root): no such file; check the path given to --definition`);
  });

  it('refuses a document that is not an object', () => {
    expect(() => parseDefinitionText('[1, 2]', 'list.json')).toThrow(
      '[waymark] report definition list.json: (root): expected an object such as { "id": "posts", "title": "Posts", "metrics": ["views"] }, got [1,2]',
    );
  });
});
