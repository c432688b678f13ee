import { describe, expect, it } from 'vitest';
import {
  formatChange,
  formatCount,
  formatDuration,
  formatGeneratedAt,
  formatNumber,
  formatPeriod,
  formatRatio,
  formatScope,
  formatValue,
  isNumericFormat,
} from './formatValue';

describe('formatValue', () => {
  it('shows unset text as (none) and missing values as a dash', () => {
    expect(formatValue('', 'text')).toBe('(none)');
    expect(formatValue(null, 'text')).toBe('–');
    expect(formatValue(null, 'count')).toBe('–');
    expect(formatValue(undefined, 'ratio')).toBe('–');
    expect(formatValue('lisbon', 'text')).toBe('lisbon');
    expect(formatValue('2026-10-01', 'day')).toBe('2026-10-01');
  });

  it('rounds weighted counts and groups thousands', () => {
    expect(formatValue(12345.6, 'count')).toBe('12,346');
    expect(formatCount(0.4)).toBe('0');
    expect(formatCount(-0.4)).toBe('0');
    expect(formatCount(999.5)).toBe('1,000');
  });

  it('shows ratios as percentages with at most one decimal', () => {
    expect(formatValue(0.4321, 'ratio')).toBe('43.2%');
    expect(formatRatio(0.5)).toBe('50%');
    expect(formatRatio(1)).toBe('100%');
    expect(formatRatio(0)).toBe('0%');
    expect(formatRatio(0.00049)).toBe('0%');
  });

  it('signs changes with plus and the minus sign', () => {
    expect(formatValue(0.12, 'change')).toBe('+12%');
    expect(formatChange(-0.05)).toBe('\u22125%');
    expect(formatChange(0.025)).toBe('+2.5%');
    expect(formatChange(0.1234)).toBe('+12%');
    expect(formatChange(25)).toBe('+2,500%');
    expect(formatChange(-1)).toBe('\u2212100%');
    expect(formatChange(0.0001)).toBe('0%');
    expect(formatChange(0)).toBe('0%');
    expect(formatChange(null)).toBe('–');
  });

  it('shows milliseconds as durations', () => {
    expect(formatValue(65_000, 'duration')).toBe('1m 05s');
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(999.6)).toBe('1s');
    expect(formatDuration(2_500)).toBe('2.5s');
    expect(formatDuration(9_960)).toBe('10s');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(59_600)).toBe('1m 00s');
    expect(formatDuration(3_599_600)).toBe('1h 00m');
    expect(formatDuration(7_380_000)).toBe('2h 03m');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('keeps two decimals of plain numbers and never prints NaN', () => {
    expect(formatValue(1234.567, 'number')).toBe('1,234.57');
    expect(formatNumber(-0.001)).toBe('0');
    expect(formatValue(Number.NaN, 'number')).toBe('–');
    expect(formatValue(Number.POSITIVE_INFINITY, 'count')).toBe('–');
  });

  it('prints a numeric day as its UTC date', () => {
    expect(formatValue(Date.UTC(2026, 9, 31, 23, 59), 'day')).toBe('2026-10-31');
  });
});

describe('report header helpers', () => {
  it('formats periods, scopes and build times', () => {
    expect(formatPeriod({ from: '2026-10-01', to: '2026-10-31' })).toBe('2026-10-01 – 2026-10-31');
    expect(formatPeriod({ from: '2026-10-01', to: '2026-10-01' })).toBe('2026-10-01');
    expect(formatScope({ role: 'creator', authorId: 'ana' })).toBe('Creator view: posts by author ana only');
    expect(formatScope({ role: 'marketing' })).toBe('Marketing view: aggregates only');
    expect(formatScope({ role: 'admin' })).toBe('Admin view: all data');
    expect(formatScope(undefined)).toBeUndefined();
    expect(formatGeneratedAt('2026-11-01T09:30:12.000Z')).toBe('2026-11-01 09:30 UTC');
    expect(formatGeneratedAt('yesterday')).toBe('yesterday');
  });

  it('right-aligns every format but text and days', () => {
    expect(['text', 'day', 'count', 'number', 'ratio', 'change', 'duration'].filter((f) => isNumericFormat(f as never))).toEqual([
      'count',
      'number',
      'ratio',
      'change',
      'duration',
    ]);
  });
});
