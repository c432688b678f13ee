import { describe, expect, it } from 'vitest';
import { csvField, renderCsv, renderCsvFiles } from './renderCsv';
import type { ReportResult, ReportSet } from './reportResult';

const report: ReportResult = {
  id: 'content-by-post',
  title: 'Content performance by post',
  kind: 'table',
  period: { from: '2026-10-01', to: '2026-10-31' },
  filters: ['device = mobile'],
  columns: [
    { key: 'post', label: 'Post', format: 'text' },
    { key: 'views', label: 'Views', format: 'count' },
    { key: 'rate', label: 'Read-through rate', format: 'ratio' },
    { key: 'views_change', label: 'Views change', format: 'change' },
    { key: 'engaged', label: 'Median engaged time', format: 'duration' },
  ],
  rows: [
    { post: '=HYPERLINK("http://x")', views: 1234.5, rate: 0.25, views_change: -0.05, engaged: 65000 },
    { post: '<img src=x onerror=alert(1)>', views: 3, rate: null, views_change: null, engaged: 0 },
    { post: '-5', views: -2, rate: 0, views_change: 0.125, engaged: 1500 },
    { post: '', views: 0, rate: 1, views_change: 0, engaged: 42 },
  ],
  charts: [{ type: 'bar', x: 'post', series: ['views'] }],
  notes: ['Counts are weighted by each event\'s sample rate.'],
};

describe('renderCsv', () => {
  it('writes RFC 4180 CSV with raw values and neutralised formulas', () => {
    expect(renderCsv(report)).toBe(
      [
        '"Post","Views","Read-through rate","Views change","Median engaged time"',
        `"'=HYPERLINK(""http://x"")",1234.5,0.25,-0.05,65000`,
        '"<img src=x onerror=alert(1)>",3,,,0',
        '"-5",-2,0,0.125,1500',
        '"",0,1,0,42',
        '',
      ].join('\r\n'),
    );
  });

  it('prefixes every formula trigger OWASP lists and keeps numbers as numbers', () => {
    expect(csvField('=1+2')).toBe(`"'=1+2"`);
    expect(csvField('+1+2')).toBe(`"'+1+2"`);
    expect(csvField('-2+3')).toBe(`"'-2+3"`);
    expect(csvField('@SUM(A1:A9)')).toBe(`"'@SUM(A1:A9)"`);
    expect(csvField('\t=1+2')).toBe(`"'\t=1+2"`);
    expect(csvField('\r=1+2')).toBe(`"'\r=1+2"`);
    expect(csvField('-1+cmd|\' /C calc\'!A0')).toBe(`"'-1+cmd|' /C calc'!A0"`);
    expect(csvField('a=1')).toBe('"a=1"');
    expect(csvField('-12.5')).toBe('"-12.5"');
    expect(csvField(-12.5)).toBe('-12.5');
    expect(csvField(-0)).toBe('0');
    expect(csvField(0.000001)).toBe('0.000001');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(null)).toBe('');
  });

  it('quotes separators, quotes and line breaks inside text', () => {
    expect(csvField('Lisbon, "old town"\r\nguide')).toBe('"Lisbon, ""old town""\r\nguide"');
    expect(csvField('a;=1+2')).toBe('"a;=1+2"');
  });

  it('neutralises formulas in column labels too', () => {
    const hostile: ReportResult = { ...report, columns: [{ key: 'post', label: '=cmd', format: 'text' }], rows: [] };
    expect(renderCsv(hostile)).toBe(`"'=cmd"\r\n`);
  });

  it('starts with a byte order mark only when asked', () => {
    expect(renderCsv(report, { bom: true }).startsWith('\uFEFF"Post"')).toBe(true);
    expect(renderCsv(report).charCodeAt(0)).toBe(34);
  });
});

describe('renderCsvFiles', () => {
  it('writes one file per report, named by a safe, unique id', () => {
    const set: ReportSet = {
      title: 'Monthly',
      generatedAt: '2026-11-01T00:00:00.000Z',
      period: report.period,
      reports: [
        report,
        { ...report, id: '../../etc/Passwd' },
        { ...report, id: 'content-by-post' },
        { ...report, id: '<>' },
      ],
    };
    const files = renderCsvFiles(set);
    expect(files.map((file) => file.filename)).toEqual([
      'content-by-post.csv',
      'etc-passwd.csv',
      'content-by-post-2.csv',
      'report.csv',
    ]);
    expect(files[1].content).toBe(renderCsv(report));
  });
});
