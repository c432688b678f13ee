import { describe, expect, it } from 'vitest';
import { buildReport } from './buildReport';
import { builtinDefinition } from './builtinDefinitions';
import { parseDefinition } from './loadDefinition';

const period = { from: '2026-10-02', to: '2026-10-31' };
const comparison = { from: '2026-09-02', to: '2026-10-01' };

describe('buildReport', () => {
  it('divides ratio metrics and reads missing counts as zero', () => {
    const definition = parseDefinition({ id: 'x', title: 'X', metrics: ['visitors', 'page_views', 'pages_per_session', 'sessions', 'views_per_reader'] });
    // ClickHouse sums nothing to NULL where DuckDB gives 0: both read as 0, and a ratio over 0 is empty.
    const rows = [{ m_visitors: 17, m_page_views: 40.5, m_sessions: 4, m_views: 3, m_unique_readers: null }];
    expect(buildReport(definition, { current: rows }, { period }).rows).toEqual([{ visitors: 17, page_views: 40.5, pages_per_session: 10.125, sessions: 4, views_per_reader: null }]);
  });

  it('merges quantiles from their own query by dimension values', () => {
    const definition = parseDefinition({ id: 'x', title: 'X', metrics: ['unique_readers', 'median_engaged_ms'], dimensions: ['theme'] });
    const result = buildReport(
      definition,
      {
        current: [
          { d_theme: 'city', m_unique_readers: 4 },
          { d_theme: 'food', m_unique_readers: 2 },
        ],
        'current:quantiles': [
          { d_theme: 'city', m_median_engaged_ms: 30000 },
          { d_theme: 'beach', m_median_engaged_ms: 1000 },
        ],
      },
      { period },
    );
    expect(result.rows).toEqual([
      { theme: 'city', unique_readers: 4, median_engaged_ms: 30000 },
      { theme: 'food', unique_readers: 2, median_engaged_ms: null },
      { theme: 'beach', unique_readers: 0, median_engaged_ms: 1000 },
    ]);
  });

  it('rounds away floating-point noise', () => {
    const definition = parseDefinition({ id: 'x', title: 'X', metrics: ['events'] });
    expect(buildReport(definition, { current: [{ m_events: 0.1 + 0.2 }] }, { period }).rows).toEqual([{ events: 0.3 }]);
  });

  it('leaves the change empty when there is nothing to compare with', () => {
    const definition = parseDefinition({ id: 'x', title: 'X', metrics: ['views'], dimensions: ['post'], compare: 'previous_period' });
    const result = buildReport(
      definition,
      {
        current: [
          { d_post: 'p1', m_views: 30 },
          { d_post: 'p2', m_views: 10 },
          { d_post: 'p3', m_views: 5 },
        ],
        previous: [
          { d_post: 'p1', m_views: 20 },
          { d_post: 'p2', m_views: 0 },
        ],
      },
      { period, comparison },
    );
    expect(result.rows).toEqual([
      { post: 'p1', views: 30, views_change: 0.5 },
      { post: 'p2', views: 10, views_change: null },
      { post: 'p3', views: 5, views_change: null },
    ]);
    expect(result.comparison).toEqual(comparison);
    expect(result.columns.at(-1)).toEqual({ key: 'views_change', label: 'Post views: change', format: 'change' });
  });

  it('orders and limits within each split block', () => {
    const definition = parseDefinition({
      id: 'x',
      title: 'X',
      metrics: ['views'],
      dimensions: ['post'],
      split: 'device',
      sort: [{ by: 'views', order: 'asc' }],
      limit: 2,
    });
    const current = [
      { d_device: 'mobile', d_post: 'p1', m_views: 3 },
      { d_device: 'desktop', d_post: 'p1', m_views: 9 },
      { d_device: 'mobile', d_post: 'p2', m_views: 1 },
      { d_device: 'mobile', d_post: 'p3', m_views: 1 },
      { d_device: 'desktop', d_post: 'p2', m_views: 4 },
    ];
    expect(buildReport(definition, { current }, { period }).rows).toEqual([
      { device: 'desktop', post: 'p2', views: 4 },
      { device: 'desktop', post: 'p1', views: 9 },
      { device: 'mobile', post: 'p2', views: 1 },
      { device: 'mobile', post: 'p3', views: 1 },
    ]);
  });

  it('says when sampling was in effect, and leaves the note out when it was not', () => {
    const definition = parseDefinition({ id: 'x', title: 'X', metrics: ['views', 'median_engaged_ms'] });
    const sampled = buildReport(definition, { current: [] }, { period, sampling: { events: 800, sampledEvents: 96 } });
    expect(sampled.notes).toEqual([
      'Counts are weighted by 1 / sample rate, because sampling was in effect: 12% of the 800 events stored for this period (96) have a sample rate below 1. Visitors and sessions count once each, at their smallest weight.',
      'Medians and 75th percentiles are taken over the stored events, not weighted.',
    ]);
    expect(buildReport(definition, { current: [] }, { period, sampling: { events: 800, sampledEvents: 0 } }).notes).toEqual([]);
  });

  it('describes filters and the segment in words, and carries the scope', () => {
    const definition = parseDefinition({
      id: 'x',
      title: 'X',
      metrics: ['views'],
      filters: [
        { dimension: 'device', in: ['mobile', 'tablet'] },
        { dimension: 'campaign', notIn: [''] },
      ],
      segment: { engagement_tier: ['loyal'] },
    });
    const result = buildReport(definition, { current: [] }, { period, scope: { role: 'creator', authorId: 'a1' } });
    expect(result.filters).toEqual(['Device: mobile, tablet', 'Campaign: not (none)', 'Segment: Engagement tier = loyal']);
    expect(result.scope).toEqual({ role: 'creator', authorId: 'a1' });
    expect(result.rows).toEqual([]);
  });

  it('marks failed events and duplicates as not recorded when their tables are missing', () => {
    const result = buildReport(builtinDefinition('data-quality'), { facts: [{ q_events: 10, q_late: 0, q_skewed: 0, q_bots: 0, q_sampled: 0 }], failed: null, ingest: null }, { period });
    expect(result.rows.slice(1, 3)).toEqual([
      { check: 'Failed events', events: null, share: null, detail: 'not recorded (no waymark_failed_events table)' },
      { check: 'Duplicates dropped', events: null, share: null, detail: 'not recorded (no waymark_ingest_stats table)' },
    ]);
  });

  it('fills days without events in an overview', () => {
    const definition = parseDefinition({ id: 'o', title: 'O', kind: 'overview', metrics: ['page_views'], period: { last: 3 } });
    const result = buildReport(
      definition,
      { daily: [{ d_day: '2026-10-30', m_page_views: 4 }], totals: [{ m_page_views: 4 }] },
      { period: { from: '2026-10-29', to: '2026-10-31' } },
    );
    expect(result.rows).toEqual([
      { day: '2026-10-29', page_views: 0 },
      { day: '2026-10-30', page_views: 4 },
      { day: '2026-10-31', page_views: 0 },
    ]);
    expect(result.totals).toEqual({ page_views: 4 });
    expect(result.charts).toEqual([{ type: 'line', x: 'day', series: ['page_views'], title: 'O' }]);
  });
});
