import { z } from 'zod';

/** The kinds of report a definition can describe. */
export const reportKinds = ['table', 'overview', 'trending', 'funnel', 'retention', 'quality'] as const;

/** What a definition computes: see the package README's "Definitions" section for each kind. */
export type ReportKind = (typeof reportKinds)[number];

/** Chart types a definition may ask for. */
export const chartTypes = ['bar', 'line', 'funnel', 'heatmap'] as const;

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a day as "YYYY-MM-DD", such as "2026-10-01"' })
  .refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day), {
    error: 'is not a calendar day; write a real date such as "2026-10-01"',
  });

const values = z.array(z.string()).min(1, { error: 'list at least one value, such as ["mobile"]' });

/** One filter: keep the rows whose dimension value is (`in`) or is not (`notIn`) one of the values. */
export const filterSchema = z.strictObject({
  /** A dimension of the catalogue, such as `device` or `destination`. */
  dimension: z.string(),
  /** Keep rows whose value is one of these (`""` is "not set"). */
  in: values.optional(),
  /** Keep rows whose value is none of these. */
  notIn: values.optional(),
});

/** One step of a funnel: an event, optionally narrowed by event-level filters. */
export const funnelStepSchema = z.strictObject({
  /** Event name, such as `page_viewed`. */
  event: z.string(),
  /** What the report calls the step. @default the event name */
  label: z.string().min(1).optional(),
  /** Filters on the step's events, such as `[{ "dimension": "post", "notIn": [""] }]` for post views only. */
  filters: z.array(filterSchema).optional(),
});

/**
 * A report definition: the JSON format of the built-in reports and of a user's own (`waymark report --definition`).
 * Validated by {@link parseDefinition}; the package README documents every field.
 */
export const reportDefinitionSchema = z.strictObject({
  /** Editors' JSON schema hint; ignored. */
  $schema: z.string().optional(),
  /** Short stable name in lowercase and dashes, such as `content-by-post`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'use lowercase letters, digits and dashes, such as "content-by-post"' }),
  /** Title shown to readers. */
  title: z.string().min(1, { error: 'write a title, such as "Content performance by post"' }),
  /** One sentence on what the report answers and how (shown under the title). */
  description: z.string().optional(),
  /** What the report computes. @default 'table' */
  kind: z.enum(reportKinds).default('table'),
  /** Metric keys of the metric catalogue (table, overview, trending). */
  metrics: z.array(z.string()).default([]),
  /** 0 to 2 dimension keys of the dimension catalogue (table); exactly one for trending. */
  dimensions: z.array(z.string()).default([]),
  /** Event-level filters, all of which must hold. */
  filters: z.array(filterSchema).default([]),
  /** Visitor segment: dimension key to the values kept, such as `{ "traveller_type": ["family"] }`. */
  segment: z.record(z.string(), values).optional(),
  /** A segment dimension: one block of rows per value. */
  split: z.string().optional(),
  /** Days covered: the last N days ending at the run's `to` day, or fixed days. @default { last: 30 } */
  period: z
    .strictObject({
      last: z.int().min(1).max(3660).optional(),
      from: isoDay.optional(),
      to: isoDay.optional(),
    })
    .optional(),
  /** `previous_period` adds `<metric>_change` columns against the period of equal length before. @default 'none' */
  compare: z.enum(['previous_period', 'none']).optional(),
  /** Row order: metric or dimension keys (or `<metric>_change`). @default the first metric, descending */
  sort: z
    .array(
      z.strictObject({
        by: z.string(),
        order: z.enum(['asc', 'desc']).default('desc'),
      }),
    )
    .optional(),
  /** Most rows kept (per split block). */
  limit: z.int().min(1).max(100_000).optional(),
  /** The chart drawn above the table. */
  chart: z
    .strictObject({
      type: z.enum(chartTypes),
      /** Metric keys drawn. @default the first metric */
      series: z.array(z.string()).min(1).optional(),
      /** Dimension key of the category axis. @default the first dimension */
      x: z.string().optional(),
    })
    .optional(),
  /** Trending: fewest units of the metric an item needs in both periods to be ranked. @default 50 */
  minVolume: z.number().min(0).optional(),
  /** Funnel: 2 to 8 steps, in order. */
  steps: z.array(funnelStepSchema).optional(),
  /** Funnel: steps must happen in one session or by one visitor. @default 'session' */
  within: z.enum(['session', 'visitor']).optional(),
  /** Retention: weeks after the first visit shown per cohort. @default 8 */
  weeks: z.int().min(1).max(26).optional(),
});

/** A definition as written in a JSON file (optional fields may be missing). */
export type ReportDefinitionInput = z.input<typeof reportDefinitionSchema>;

/** One filter of a definition. */
export type ReportFilter = z.output<typeof filterSchema>;

/** One funnel step of a definition. */
export type FunnelStep = z.output<typeof funnelStepSchema>;

/** A validated report definition, as {@link parseDefinition} returns it. */
export type ReportDefinition = z.output<typeof reportDefinitionSchema>;

/** Who runs the reports: a creator's key limits every query to their own posts; marketing may only see aggregates. */
export type ReportScope = { role: 'admin' } | { role: 'creator'; authorId: string } | { role: 'marketing' };
