import { describe, expect, it } from 'vitest';
import { escapeMarkdown, renderMarkdown } from './renderMarkdown';
import type { ReportSet } from './reportResult';

const set: ReportSet = {
  title: 'October report',
  generatedAt: '2026-11-01T09:30:00.000Z',
  period: { from: '2026-10-01', to: '2026-10-31' },
  reports: [
    {
      id: 'content-by-post',
      title: 'Content by post',
      description: 'Which posts readers finish.',
      kind: 'table',
      period: { from: '2026-10-01', to: '2026-10-31' },
      comparison: { from: '2026-09-01', to: '2026-09-30' },
      scope: { role: 'creator', authorId: 'ana' },
      filters: ['device = mobile', 'segment: traveller type = family'],
      columns: [
        { key: 'post', label: 'Post', format: 'text' },
        { key: 'views', label: 'Views', format: 'count' },
        { key: 'rate', label: 'Read-through rate', format: 'ratio' },
        { key: 'views_change', label: 'Views change', format: 'change' },
        { key: 'engaged', label: 'Median engaged time', format: 'duration' },
      ],
      rows: [
        { post: 'a|b\nc', views: 1234.4, rate: 0.432, views_change: 0.12, engaged: 65000 },
        { post: '<img src=x onerror=alert(1)>', views: 7, rate: null, views_change: -0.05, engaged: 2500 },
        { post: '', views: 0, rate: 0, views_change: null, engaged: 0 },
      ],
      charts: [{ type: 'bar', x: 'post', series: ['views'] }],
      notes: ['Counts are weighted by each event\'s sample rate: 12% of the events in this period were sampled.'],
    },
    {
      id: 'quality',
      title: 'Data quality',
      kind: 'quality',
      period: { from: '2026-10-01', to: '2026-10-31' },
      filters: [],
      columns: [{ key: 'reason', label: 'Reason', format: 'text' }],
      rows: [],
      charts: [],
      notes: [],
    },
  ],
};

describe('renderMarkdown', () => {
  it('writes headings, meta, notes as blockquotes and a GFM table', () => {
    expect(renderMarkdown(set)).toBe(
      [
        '# October report',
        '',
        'Period 2026-10-01 – 2026-10-31 · generated 2026-11-01 09:30 UTC',
        '',
        '## Content by post',
        '',
        'Which posts readers finish.',
        '',
        '- Period: 2026-10-01 – 2026-10-31, compared with 2026-09-01 – 2026-09-30',
        '- Scope: Creator view: posts by author ana only',
        '- Filters: device = mobile; segment: traveller type = family',
        '',
        "> **Note:** Counts are weighted by each event's sample rate: 12% of the events in this period were sampled.",
        '',
        '| Post | Views | Read-through rate | Views change | Median engaged time |',
        '| :--- | ---: | ---: | ---: | ---: |',
        '| a\\|b<br>c | 1,234 | 43.2% | +12% | 1m 05s |',
        '| \\<img src=x onerror=alert(1)\\> | 7 | – | \u22125% | 2.5s |',
        '| (none) | 0 | 0% | – | 0ms |',
        '',
        '## Data quality',
        '',
        '- Period: 2026-10-01 – 2026-10-31',
        '- Filters: none',
        '',
        '_No rows for this period._',
        '',
      ].join('\n'),
    );
  });

  it('keeps a note of several lines in one blockquote', () => {
    const report = { ...set.reports[1], notes: ['First line\nsecond line'] };
    expect(renderMarkdown({ ...set, reports: [report] })).toContain('> **Note:** First line\n> second line');
  });
});

describe('escapeMarkdown', () => {
  it('shows markup from events literally', () => {
    expect(escapeMarkdown('*bold* _it_ `code` [x](javascript:alert(1)) ~~s~~ &amp; #1', { cell: true })).toBe(
      '\\*bold\\* \\_it\\_ \\`code\\` \\[x\\](javascript:alert(1)) \\~\\~s\\~\\~ \\&amp; \\#1',
    );
    expect(escapeMarkdown('best_of_lisbon')).toBe('best_of_lisbon');
    expect(escapeMarkdown('back\\slash')).toBe('back\\\\slash');
  });

  it('stops text from starting a list or heading underline outside cells', () => {
    expect(escapeMarkdown('1. Lisbon')).toBe('1\\. Lisbon');
    expect(escapeMarkdown('- Porto')).toBe('\\- Porto');
    expect(escapeMarkdown('    ===')).toBe('\\===');
    expect(escapeMarkdown('-5', { cell: true })).toBe('-5');
  });
});

describe('period totals', () => {
  it('shows an overview’s totals, each metric with its change, above the daily rows', () => {
    const overview = {
      ...set.reports[0],
      id: 'overview',
      kind: 'overview',
      columns: [
        { key: 'day', label: 'Day', format: 'day' as const },
        { key: 'visitors', label: 'Visitors', format: 'count' as const },
      ],
      rows: [{ day: '2026-10-01', visitors: 3 }],
      totals: { visitors: 120, visitors_change: 0.2 },
      charts: [],
      notes: [],
    };
    const markdown = renderMarkdown({ ...set, reports: [overview] });
    expect(markdown).toContain('**Period totals**\n\n| Visitors | Visitors, change |\n| ---: | ---: |\n| 120 | +20% |');
    expect(markdown.indexOf('Period totals')).toBeLessThan(markdown.indexOf('| 2026-10-01 |'));
  });
});
