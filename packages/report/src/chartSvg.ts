import { BarChart, FunnelChart, HeatmapChart, LineChart } from 'echarts/charts';
import type { BarSeriesOption, FunnelSeriesOption, HeatmapSeriesOption, LineSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, VisualMapContinuousComponent } from 'echarts/components';
import type { GridComponentOption, LegendComponentOption, VisualMapComponentOption } from 'echarts/components';
import { init, use } from 'echarts/core';
import type { ComposeOption } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { formatValue } from './formatValue';
import type { ColumnFormat, ReportChart, ReportColumn, ReportResult } from './reportResult';

/** The ECharts option the report charts use (bar, line, funnel and heatmap series with a grid, legend and visual map). */
export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | FunnelSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | VisualMapComponentOption
>;

/** What {@link chartSpec} needs: the report (its columns and rows) and one of its charts. */
export interface ChartSpecOptions {
  /** The report whose rows the chart plots; only `id`, `columns` and `rows` are read. */
  report: Pick<ReportResult, 'id' | 'columns' | 'rows'>;
  /** The chart to draw, usually one of `report.charts`. */
  chart: ReportChart;
  /**
   * Width of the SVG in pixels (it scales down with its container: the SVG has a `viewBox`).
   * @default 720
   */
  width?: number;
  /**
   * Most bars a bar chart draws (the first rows, in the table's order); the table still lists every row.
   * @default 30
   */
  maxCategories?: number;
}

/** An ECharts option with the size to render it at. */
export interface ChartSpec {
  /** The ECharts option (animation off, UTC time axis, labels already formatted). */
  option: ChartOption;
  /** SVG width in pixels. */
  width: number;
  /** SVG height in pixels (bar charts and heatmaps grow with their rows). */
  height: number;
  /** Set when the chart leaves rows out, in words for a caption ("The chart shows the first 30 of 120 rows."). */
  caveat?: string;
}

type Row = ReportResult['rows'][number];

const PALETTE = ['#2f6fb3', '#e07b39', '#3a9a6b', '#b8457f', '#7a62c4', '#8c8c3a'];
const TEXT = '#33373d';
const MUTED = '#6b7079';
// ECharts lays out labels with Helvetica/Arial widths when it renders without a canvas, so ask for those fonts (or the
// metric-compatible Liberation Sans). ECharts writes this into a double-quoted SVG attribute unescaped: single quotes only.
const FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif";
const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Builds the ECharts option for one {@link ReportChart} of a report: `bar` (one bar per row, horizontal so long
 * post ids and titles stay readable), `line` (time axis in UTC, one line per series, a previous period dashed),
 * `funnel` (steps in row order, labelled with the first series and any others in brackets) or `heatmap` (one row per
 * value of `y` by one column per value of `x`, such as retention cohorts by week; without `y`, one row per value of
 * `x` and one column per series). Values are labelled with the report's formats (counts, %, durations).
 * Throws a `[waymark]` error naming the column when the chart names a column the report does not have.
 *
 * @example
 * const svg = renderChartSvg(chartSpec({ report, chart: report.charts[0] }));
 */
export function chartSpec(options: ChartSpecOptions): ChartSpec {
  const { report, chart } = options;
  const width = options.width ?? 720;
  const columns = new Map(report.columns.map((column) => [column.key, column]));
  const column = (key: string | undefined, role: string): ReportColumn => {
    const found = key === undefined ? undefined : columns.get(key);
    if (!found) {
      throw new Error(
        `[waymark] the ${chart.type} chart of report "${report.id}" names ${role} "${key ?? ''}", which is not one of its columns (${[...columns.keys()].join(', ')})`,
      );
    }
    return found;
  };
  const x = column(chart.x, 'x');
  if (chart.series.length === 0) {
    throw new Error(`[waymark] the ${chart.type} chart of report "${report.id}" has no series: name at least one column`);
  }
  const series = chart.series.map((key) => column(key, 'series'));
  switch (chart.type) {
    case 'bar':
      return barSpec(report.rows, x, series, width, options.maxCategories ?? 30);
    case 'line':
      return lineSpec(report.rows, x, series, width);
    case 'funnel':
      return funnelSpec(report.rows, x, series, width);
    case 'heatmap':
      return chart.y === undefined
        ? heatmapSpec(report.rows, { rowAxis: x, value: series[0], wide: series }, width)
        : heatmapSpec(report.rows, { rowAxis: column(chart.y, 'y'), columnAxis: x, value: series[0] }, width);
    default:
      throw new Error(`[waymark] report "${report.id}" asks for a chart of type "${String((chart as ReportChart).type)}": use bar, line, funnel or heatmap`);
  }
}

/**
 * Renders a {@link ChartSpec} to a standalone SVG string with ECharts' server-side SVG renderer (no DOM).
 * ECharts escapes text content (`&`, `<`, `>`, quotes), and report text only ever reaches labels, never attributes,
 * so event text (post ids, campaign names) cannot inject markup.
 *
 * @example
 * const svg = renderChartSvg(chartSpec({ report, chart: { type: 'bar', x: 'post', series: ['views'] } }));
 */
export function renderChartSvg(spec: ChartSpec): string {
  // `use` is idempotent: registering inside the call keeps importing this module free of side effects.
  use([BarChart, LineChart, FunnelChart, HeatmapChart, GridComponent, LegendComponent, VisualMapContinuousComponent, SVGRenderer]);
  const chart = init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height: spec.height });
  try {
    chart.setOption(spec.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function base(): ChartOption {
  return {
    animation: false,
    useUTC: true,
    color: PALETTE,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT, color: TEXT },
  };
}

function numberOf(value: Row[string] | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function labelOf(value: Row[string] | undefined, format: ColumnFormat): string {
  return formatValue(value, format);
}

function legend(series: ReportColumn[]): LegendComponentOption | undefined {
  if (series.length < 2) return undefined;
  return { bottom: 0, icon: 'roundRect', textStyle: { color: TEXT }, data: series.map((column) => column.label) };
}

function valueAxisLabel(format: ColumnFormat) {
  return { color: MUTED, formatter: (value: number) => formatValue(value, format === 'count' ? 'number' : format) };
}

function barSpec(rows: Row[], x: ReportColumn, series: ReportColumn[], width: number, maxCategories: number): ChartSpec {
  const shown = rows.slice(0, Math.max(1, maxCategories));
  const single = series.length === 1;
  const height = Math.max(160, 56 + shown.length * (single ? 26 : 12 + 14 * series.length) + (single ? 0 : 28));
  const option: ChartOption = {
    ...base(),
    grid: { left: 12, right: single ? 72 : 24, top: 12, bottom: single ? 28 : 56 },
    legend: legend(series),
    xAxis: { type: 'value', axisLabel: valueAxisLabel(series[0].format), splitLine: { lineStyle: { color: '#e6e8eb' } } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: shown.map((row) => labelOf(row[x.key], x.format)),
      axisLabel: { color: TEXT, width: Math.round(width * 0.3), overflow: 'truncate' },
      axisTick: { show: false },
    },
    series: series.map(
      (column): BarSeriesOption => ({
        type: 'bar',
        name: column.label,
        data: shown.map((row) => numberOf(row[column.key])),
        barMaxWidth: 22,
        label: {
          show: single,
          position: 'right',
          color: TEXT,
          formatter: (params) => formatValue(numberOf(params.value as Row[string]), column.format),
        },
      }),
    ),
  };
  const caveat = shown.length < rows.length ? `The chart shows the first ${shown.length} of ${rows.length} rows.` : undefined;
  return { option, width, height, caveat };
}

function dayTime(value: Row[string] | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const time = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(time) ? null : time;
}

function shortDay(time: number): string {
  const date = new Date(time);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
}

function lineSpec(rows: Row[], x: ReportColumn, series: ReportColumn[], width: number): ChartSpec {
  const times = rows.map((row) => dayTime(row[x.key]));
  const timeAxis = x.format === 'day' || (rows.length > 0 && times.every((time) => time !== null));
  const ordered = rows
    .map((row, index) => ({ row, time: times[index] }))
    .filter((entry) => !timeAxis || entry.time !== null);
  if (timeAxis) ordered.sort((a, b) => (a.time as number) - (b.time as number));
  const showSymbol = ordered.length <= 60;
  const option: ChartOption = {
    ...base(),
    grid: { left: 12, right: 24, top: 16, bottom: series.length > 1 ? 56 : 28 },
    legend: legend(series),
    xAxis: timeAxis
      ? {
          type: 'time',
          minInterval: DAY_MS,
          axisLabel: {
            color: MUTED,
            fontSize: 12,
            fontWeight: 'normal',
            hideOverlap: true,
            formatter: (value: number) => shortDay(value),
          },
          splitLine: { show: false },
        }
      : {
          type: 'category',
          data: ordered.map(({ row }) => labelOf(row[x.key], x.format)),
          axisLabel: { color: MUTED, hideOverlap: true },
        },
    yAxis: { type: 'value', axisLabel: valueAxisLabel(series[0].format), splitLine: { lineStyle: { color: '#e6e8eb' } } },
    series: series.map(
      (column, index): LineSeriesOption => ({
        type: 'line',
        name: column.label,
        showSymbol,
        showAllSymbol: true,
        symbolSize: 5,
        connectNulls: false,
        lineStyle: { width: 2, type: index > 0 && /previous|prior|comparison/i.test(column.key) ? 'dashed' : 'solid' },
        data: ordered.map(({ row, time }) =>
          timeAxis ? [time as number, numberOf(row[column.key])] : numberOf(row[column.key]),
        ) as LineSeriesOption['data'],
      }),
    ),
  };
  return { option, width, height: series.length > 1 ? 320 : 290 };
}

function funnelSpec(rows: Row[], x: ReportColumn, series: ReportColumn[], width: number): ChartSpec {
  const [value, ...extra] = series;
  const values = rows.map((row) => numberOf(row[value.key]) ?? 0);
  const option: ChartOption = {
    ...base(),
    series: [
      {
        type: 'funnel',
        name: value.label,
        sort: 'none',
        gap: 2,
        left: 16,
        right: Math.round(width * 0.45),
        top: 12,
        bottom: 12,
        min: 0,
        max: Math.max(1, ...values),
        minSize: '4%',
        label: {
          show: true,
          position: 'right',
          color: TEXT,
          formatter: (params) => {
            const row = rows[params.dataIndex];
            const more = extra.map((column) => formatValue(row[column.key], column.format)).join(', ');
            const figures = `${formatValue(row[value.key], value.format)}${more === '' ? '' : ` (${more})`}`;
            // Shorten the step's name, never its figures: about 6.5 px per character at 12 px.
            const room = Math.max(8, Math.floor((width * 0.45 - 24) / 6.5) - figures.length - 2);
            return `${truncate(params.name, room)}: ${figures}`;
          },
        },
        labelLine: { show: true },
        data: rows.map((row, index) => ({ name: labelOf(row[x.key], x.format), value: values[index] })),
      },
    ],
  };
  return { option, width, height: Math.max(160, 24 + rows.length * 44) };
}

function truncate(text: string, length: number): string {
  const chars = Array.from(text);
  return chars.length <= length ? text : `${chars.slice(0, length - 1).join('')}…`;
}

interface HeatmapAxes {
  /** The column whose values are the heatmap's rows (cohorts). */
  rowAxis: ReportColumn;
  /** Long format: the column whose values are the heatmap's columns (weeks since the first visit). */
  columnAxis?: ReportColumn;
  /** The value of a cell (long format), or of the first wide column. */
  value: ReportColumn;
  /** Wide format: one heatmap column per series column. */
  wide?: ReportColumn[];
}

function distinct(values: Row[string][]): Row[string][] {
  const seen = new Set<Row[string]>();
  const out: Row[string][] = [];
  for (const value of values) {
    if (!seen.has(value)) {
      seen.add(value);
      out.push(value);
    }
  }
  return out.every((value) => typeof value === 'number') ? out.sort((a, b) => (a as number) - (b as number)) : out;
}

function heatmapSpec(rows: Row[], axes: HeatmapAxes, width: number): ChartSpec {
  const rowKeys = distinct(rows.map((row) => row[axes.rowAxis.key]));
  const rowIndex = new Map(rowKeys.map((key, index) => [key, index]));
  let columnLabels: string[];
  const cells: { x: number; y: number; raw: Row[string]; value: number; format: ColumnFormat }[] = [];
  if (axes.wide) {
    const wide = axes.wide;
    columnLabels = wide.map((column) => column.label);
    rows.forEach((row) => {
      const y = rowIndex.get(row[axes.rowAxis.key]) as number;
      wide.forEach((column, x) => {
        const value = numberOf(row[column.key]);
        if (value !== null) cells.push({ x, y, raw: row[column.key], value, format: column.format });
      });
    });
  } else {
    const columnAxis = axes.columnAxis as ReportColumn;
    const columnKeys = distinct(rows.map((row) => row[columnAxis.key]));
    const columnIndex = new Map(columnKeys.map((key, index) => [key, index]));
    columnLabels = columnKeys.map((key) => labelOf(key, columnAxis.format));
    for (const row of rows) {
      const value = numberOf(row[axes.value.key]);
      if (value === null) continue;
      cells.push({
        x: columnIndex.get(row[columnAxis.key]) as number,
        y: rowIndex.get(row[axes.rowAxis.key]) as number,
        raw: row[axes.value.key],
        value,
        format: axes.value.format,
      });
    }
  }
  const max = Math.max(0, ...cells.map((cell) => cell.value));
  const option: ChartOption = {
    ...base(),
    grid: { left: 12, right: 16, top: 12, bottom: axes.columnAxis ? 44 : 28 },
    xAxis: {
      type: 'category',
      data: columnLabels,
      name: axes.columnAxis?.label,
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: { color: MUTED },
      axisLabel: { color: MUTED, interval: 0, hideOverlap: true },
      splitArea: { show: false },
      axisTick: { show: false },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rowKeys.map((key) => labelOf(key, axes.rowAxis.format)),
      axisLabel: { color: TEXT, width: Math.round(width * 0.3), overflow: 'truncate' },
      axisTick: { show: false },
    },
    visualMap: {
      type: 'continuous',
      show: false,
      min: 0,
      max: max > 0 ? max : 1,
      dimension: 2,
      inRange: { color: ['#eef4fb', '#2f6fb3'] },
    },
    series: [
      {
        type: 'heatmap',
        name: axes.value.label,
        itemStyle: { borderColor: '#ffffff', borderWidth: 2 },
        label: {
          show: true,
          fontSize: 11,
          formatter: (params) => {
            const cell = cells[params.dataIndex];
            return formatValue(cell.raw, cell.format);
          },
        },
        data: cells.map((cell) => [cell.x, cell.y, cell.value]),
      },
    ],
  };
  return { option, width, height: Math.max(140, 40 + rowKeys.length * 30 + (axes.columnAxis ? 16 : 0)) };
}
