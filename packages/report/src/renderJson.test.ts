import { describe, expect, it } from 'vitest';
import { REPORT_JSON_FORMAT, renderJson } from './renderJson';
import type { ReportSet } from './reportResult';

const set: ReportSet = {
  title: 'Weekly <b>',
  generatedAt: '2026-11-01T09:30:00.000Z',
  period: { from: '2026-10-25', to: '2026-10-31' },
  reports: [
    {
      id: 'funnel',
      title: 'Read to click',
      kind: 'funnel',
      period: { from: '2026-10-25', to: '2026-10-31' },
      scope: { role: 'creator', authorId: 'ana' },
      filters: [],
      columns: [
        { key: 'step', label: 'Step', format: 'text' },
        { key: 'readers', label: 'Readers', format: 'count' },
      ],
      rows: [
        { step: 'Post viewed', readers: 10.5 },
        { step: '=cmd', readers: Number.NaN },
      ],
      charts: [{ type: 'funnel', x: 'step', series: ['readers'] }],
      notes: ['Sampled: 12% of events.'],
    },
  ],
};

describe('renderJson', () => {
  it('writes pretty JSON with the format marker first and raw values', () => {
    const text = renderJson(set);
    expect(text.startsWith(`{\n  "format": "${REPORT_JSON_FORMAT}",\n  "title": "Weekly <b>",`)).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(text);
    expect(parsed.format).toBe('waymark-report@1');
    expect(parsed.reports[0].rows).toEqual([
      { step: 'Post viewed', readers: 10.5 },
      { step: '=cmd', readers: null },
    ]);
    expect(parsed.reports[0].notes).toEqual(['Sampled: 12% of events.']);
    expect(parsed.reports[0].scope).toEqual({ role: 'creator', authorId: 'ana' });
    expect(Object.keys(parsed.reports[0])).toEqual(['id', 'title', 'kind', 'period', 'scope', 'filters', 'columns', 'rows', 'charts', 'notes']);
  });

  it('gives the same bytes whatever order the keys were built in', () => {
    const report = set.reports[0];
    const shuffled: ReportSet = {
      reports: [
        {
          notes: report.notes,
          charts: [{ series: ['readers'], x: 'step', type: 'funnel' }],
          rows: report.rows.map((row) => ({ readers: row.readers, step: row.step })),
          columns: report.columns.map((column) => ({ format: column.format, label: column.label, key: column.key })),
          filters: [],
          scope: { authorId: 'ana', role: 'creator' },
          period: { to: '2026-10-31', from: '2026-10-25' },
          kind: 'funnel',
          title: report.title,
          id: report.id,
        },
      ],
      period: { to: '2026-10-31', from: '2026-10-25' },
      generatedAt: set.generatedAt,
      title: set.title,
    };
    expect(renderJson(shuffled)).toBe(renderJson(set));
  });

  it('keeps fields added to a report after the known ones, sorted', () => {
    const extended = { ...set, reports: [{ ...set.reports[0], zeta: 1, alpha: { b: 2, a: 1 } }] } as unknown as ReportSet;
    const keys = Object.keys(JSON.parse(renderJson(extended)).reports[0]);
    expect(keys.slice(-2)).toEqual(['alpha', 'zeta']);
    expect(renderJson(extended)).toContain('"alpha": {\n        "a": 1,\n        "b": 2\n      }');
  });
});
