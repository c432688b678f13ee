/** How a column's values are shown: renderers format them, CSV/JSON keep the raw number. */
export type ColumnFormat =
  /** Text (a dimension value such as a post id or a device class). `''` means "not set" and renders as "(none)". */
  | 'text'
  /** A `YYYY-MM-DD` day. */
  | 'day'
  /** A whole count (weighted counts are rounded by renderers, kept exact in JSON/CSV). */
  | 'count'
  /** A plain number. */
  | 'number'
  /** A share from 0 to 1, shown as a percentage. */
  | 'ratio'
  /** A change against the comparison period, from -1 upwards (0.25 = +25%); null when the previous value was 0. */
  | 'change'
  /** Milliseconds, shown as a duration (`1m 05s`). */
  | 'duration';

/** One column of a report table. */
export interface ReportColumn {
  /** Key of the value in each row. */
  key: string;
  /** Header shown to readers. */
  label: string;
  format: ColumnFormat;
}

/** A chart of a report's rows, rendered by the HTML renderer as SVG. */
export interface ReportChart {
  /** `bar`: one bar per row (categories); `line`: rows ordered by `x` (a time axis); `funnel`: steps; `heatmap`: cohort x period. */
  type: 'bar' | 'line' | 'funnel' | 'heatmap';
  /** Column key of the category or time axis. */
  x: string;
  /** Column keys plotted as series (for `heatmap`, the first is the cell value and `y` names the row key). */
  series: string[];
  /** Row axis of a heatmap. */
  y?: string;
  title?: string;
}

/** The outcome of one report definition: a table, optional charts, and notes readers must see. */
export interface ReportResult {
  /** The definition's id, such as `content-by-post`. */
  id: string;
  title: string;
  /** One sentence on what the report answers. */
  description?: string;
  /** The definition's kind (`table`, `overview`, `trending`, `funnel`, `retention`, `quality`). */
  kind: string;
  /** Inclusive UTC days the report covers. */
  period: { from: string; to: string };
  /** The period compared against, when the definition asks for a comparison. */
  comparison?: { from: string; to: string };
  /** What the reader's key limits the report to, when it does. */
  scope?: { role: 'admin' | 'creator' | 'marketing'; authorId?: string };
  /** Filters and segment in effect, in words (`device = mobile`, `segment: traveller type = family`). */
  filters: string[];
  columns: ReportColumn[];
  rows: Record<string, string | number | null>[];
  /**
   * Totals over the whole period, keyed like the columns: each metric, and `<metric>_change` against the comparison
   * period when there is one. Set by overview reports (whose rows are days, and whose visitors and sessions do not
   * add up over days); renderers show them above the table.
   */
  totals?: Record<string, string | number | null>;
  charts: ReportChart[];
  /**
   * Notes the renderers print with the report, such as "Counts are weighted by each event's sample rate: 12% of the
   * events in this period were sampled." Never empty when sampling was in effect.
   */
  notes: string[];
}

/** Several reports over one period, as `buildReports` returns them and the renderers take them. */
export interface ReportSet {
  title: string;
  /** ISO time the set was built. */
  generatedAt: string;
  period: { from: string; to: string };
  reports: ReportResult[];
}
