import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { travelCatalogue } from '@waymark/taxonomy';
import type { z } from 'zod';
import { dimensionCatalogue, dimensionKeys, segmentDimensionKeys } from './dimensionCatalogue';
import { metricCatalogue, metricKeys } from './metricCatalogue';
import { chartTypes, filterSchema, funnelStepSchema, reportDefinitionSchema, reportKinds } from './reportDefinition';
import type { ReportDefinition, ReportKind } from './reportDefinition';

/** One mistake in a definition: where (a JSON path such as `filters[0].dimension`) and what to write instead. */
export interface DefinitionIssue {
  /** JSON path of the mistake, such as `metrics[2]` or `filters[0].dimension`; `(root)` for the whole document. */
  path: string;
  /** What is wrong and what to write instead. */
  message: string;
}

/** A report definition that cannot run, with every mistake found. */
export class DefinitionError extends Error {
  /** Always `invalid_definition`. */
  readonly code = 'invalid_definition';
  /** Every mistake, in document order. */
  readonly issues: DefinitionIssue[];
  /** The file or definition id the mistakes are in. */
  readonly source?: string;

  constructor(issues: DefinitionIssue[], source?: string) {
    const where = source ? `report definition ${source}` : 'report definition';
    const lines = issues.map((issue) => `${issue.path}: ${issue.message}`);
    const body = lines.length === 1 ? `: ${lines[0]}` : `: ${lines.length} mistakes\n${lines.map((line) => `  ${line}`).join('\n')}`;
    super(`[waymark] ${where}${body}`);
    this.name = 'DefinitionError';
    this.issues = issues;
    this.source = source;
  }
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest of `known` to `value`, when close enough to be a typo. */
export function closest(value: string, known: readonly string[]): string | undefined {
  const needle = value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(needle, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  if (bestDistance <= Math.max(1, Math.floor(needle.length / 3))) return best;
  const prefix = known.find((candidate) => needle.length >= 3 && (candidate.startsWith(needle) || needle.startsWith(candidate)));
  return prefix;
}

/** `did you mean "w"? Known: a, b` when a guess is close, else `known: a, b`. */
function suggest(value: string, known: readonly string[], list = 'known'): string {
  const guess = closest(value, known);
  const names = known.join(', ') || '(none yet)';
  return guess ? `did you mean ${JSON.stringify(guess)}? ${list[0].toUpperCase()}${list.slice(1)}: ${names}` : `${list}: ${names}`;
}

/** `unknown X "v"; did you mean "w"? Known: …` */
function unknown(what: string, value: string, known: readonly string[]): string {
  return `unknown ${what} ${JSON.stringify(value)}; ${suggest(value, known)}`;
}

/** A JSON path in the usual notation: `filters[0].dimension`, `(root)` for the whole document. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      out += /^[A-Za-z_$][\w$]*$/.test(key) ? `${out ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out || '(root)';
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Example values for required fields, so a message can say what to write. */
const examples: Record<string, string> = {
  id: '"content-by-post"',
  title: '"Content performance by post"',
  dimension: '"device"',
  event: '"page_viewed"',
  by: '"views"',
  type: '"bar"',
};

const objectKeys: Record<string, readonly string[]> = {
  '': Object.keys(reportDefinitionSchema.shape),
  'filters.*': Object.keys(filterSchema.shape),
  'steps.*': Object.keys(funnelStepSchema.shape),
  'steps.*.filters.*': Object.keys(filterSchema.shape),
  period: ['last', 'from', 'to'],
  'sort.*': ['by', 'order'],
  chart: ['type', 'series', 'x'],
};

function pattern(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? '*' : String(part))).join('.');
}

/** Turns zod's issues into path + fix messages. */
function zodIssues(issues: readonly z.core.$ZodIssue[]): DefinitionIssue[] {
  const out: DefinitionIssue[] = [];
  for (const issue of issues) {
    const input = (issue as { input?: unknown }).input;
    const last = issue.path[issue.path.length - 1];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = objectKeys[pattern(issue.path)] ?? [];
        for (const key of issue.keys) {
          const guess = closest(key, allowed);
          out.push({
            path: formatPath([...issue.path, key]),
            message: `unknown key; ${guess ? `did you mean ${JSON.stringify(guess)}? ` : 'remove it. '}Allowed keys: ${allowed.join(', ')}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        if (input === undefined) {
          const example = typeof last === 'string' ? examples[last] : undefined;
          out.push({ path: formatPath(issue.path), message: `is required${example ? `; add "${String(last)}": ${example}` : ''}` });
        } else {
          const expected = issue.expected === 'int' ? 'a whole number' : `a ${issue.expected === 'array' ? 'list' : issue.expected}`;
          out.push({ path: formatPath(issue.path), message: `expected ${expected}, got ${describe(input)}` });
        }
        break;
      }
      case 'invalid_value': {
        const allowed = issue.values.map(String);
        out.push({ path: formatPath(issue.path), message: `unknown value ${describe(input)}; ${suggest(typeof input === 'string' ? input : '', allowed, 'use one of')}` });
        break;
      }
      case 'too_small':
      case 'too_big': {
        const custom = issue.message && !issue.message.startsWith('Too ') ? issue.message : undefined;
        const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
        const what = issue.origin === 'array' ? `list ${bound} item(s)` : issue.origin === 'string' ? `write ${bound} character(s)` : `must be ${bound}`;
        out.push({ path: formatPath(issue.path), message: custom ?? `${what}, got ${describe(input)}` });
        break;
      }
      default:
        out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

const eventNames = Object.keys(travelCatalogue.events);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isDay = (value: unknown): value is string => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);

/** Names the travel catalogue does not know but nearly matches (a custom event name is fine). */
function eventTypo(name: string): string | undefined {
  if (eventNames.includes(name)) return undefined;
  const guess = closest(name, eventNames);
  return guess && distance(name, guess) <= 2 ? guess : undefined;
}

const kindNoun: Record<ReportKind, string> = {
  table: 'a table report',
  overview: 'an overview',
  trending: 'a trending report',
  funnel: 'a funnel',
  retention: 'a retention report',
  quality: 'a data quality report',
};

/** Checks that need the whole definition (known metrics and dimensions, kind-specific fields), on the raw JSON. */
function crossChecks(raw: Record<string, unknown>): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const kind: ReportKind | undefined =
    raw.kind === undefined ? 'table' : typeof raw.kind === 'string' && (reportKinds as readonly string[]).includes(raw.kind) ? (raw.kind as ReportKind) : undefined;
  const metrics = Array.isArray(raw.metrics) ? raw.metrics.filter((m): m is string => typeof m === 'string') : [];
  const dimensions = Array.isArray(raw.dimensions) ? raw.dimensions.filter((m): m is string => typeof m === 'string') : [];
  const compares = kind === 'trending' || raw.compare === 'previous_period';

  // Metrics.
  if (Array.isArray(raw.metrics)) {
    raw.metrics.forEach((metric, i) => {
      if (typeof metric !== 'string') return;
      if (!metricCatalogue.has(metric)) add(`metrics[${i}]`, unknown('metric', metric, metricKeys));
      else if (raw.metrics !== undefined && (raw.metrics as unknown[]).indexOf(metric) !== i) add(`metrics[${i}]`, `"${metric}" is listed twice; remove one`);
    });
  }
  if (kind === 'table' || kind === 'overview') {
    if (!Array.isArray(raw.metrics) || raw.metrics.length === 0) add('metrics', `${kindNoun[kind]} needs at least one metric; add "metrics": ["views"]`);
  } else if (kind === 'trending') {
    if (!Array.isArray(raw.metrics) || raw.metrics.length !== 1) add('metrics', 'a trending report ranks one additive metric; write "metrics": ["views"]');
    else if (metricCatalogue.get(metrics[0])?.kind !== undefined && metricCatalogue.get(metrics[0])!.kind !== 'sum') {
      add('metrics[0]', `"${metrics[0]}" is not an additive count; rank by a count such as "views", "shares" or "affiliate_clicks"`);
    }
  } else if (kind && Array.isArray(raw.metrics) && raw.metrics.length > 0) {
    const what = kind === 'funnel' ? 'counts sessions (or visitors) per step' : kind === 'retention' ? 'counts returning readers per cohort' : 'has fixed checks';
    add('metrics', `${kindNoun[kind]} ${what}; remove "metrics"`);
  }

  // Dimensions.
  if (Array.isArray(raw.dimensions)) {
    raw.dimensions.forEach((dimension, i) => {
      if (typeof dimension !== 'string') return;
      if (!dimensionCatalogue.has(dimension)) add(`dimensions[${i}]`, unknown('dimension', dimension, dimensionKeys));
      else if ((raw.dimensions as unknown[]).indexOf(dimension) !== i) add(`dimensions[${i}]`, `"${dimension}" is listed twice; remove one`);
    });
  }
  if (kind === 'table' && dimensions.length > 2) add('dimensions', `at most 2 dimensions, got ${dimensions.length}; use "split" or "filters" for a third`);
  if (kind === 'trending' && dimensions.length !== 1) add('dimensions', 'a trending report ranks the values of one dimension; write "dimensions": ["destination"]');
  if ((kind === 'overview' || kind === 'funnel' || kind === 'retention' || kind === 'quality') && dimensions.length > 0) {
    const why = kind === 'overview' ? 'has one row per day' : kind === 'funnel' ? 'has one row per step' : kind === 'retention' ? 'has one row per cohort and week' : 'has one row per check';
    add('dimensions', `${kindNoun[kind]} ${why}; remove "dimensions" (use "split" for one block per segment)`);
  }

  // Filters, segment, split.
  const checkFilters = (filters: unknown, base: string) => {
    if (!Array.isArray(filters)) return;
    filters.forEach((filter, i) => {
      if (!isRecord(filter)) return;
      const path = `${base}[${i}]`;
      const key = filter.dimension;
      if (typeof key === 'string' && !dimensionCatalogue.has(key)) add(`${path}.dimension`, unknown('dimension', key, dimensionKeys));
      const hasIn = filter.in !== undefined;
      const hasNotIn = filter.notIn !== undefined;
      if (hasIn && hasNotIn) add(path, 'give either "in" or "notIn", not both');
      if (!hasIn && !hasNotIn) add(path, 'add "in": ["value", ...] (keep these values) or "notIn": [...] (drop them)');
      const format = typeof key === 'string' ? dimensionCatalogue.get(key)?.format : undefined;
      for (const field of ['in', 'notIn'] as const) {
        const values = filter[field];
        if (!Array.isArray(values)) continue;
        values.forEach((value, j) => {
          if (typeof value !== 'string') return;
          if (format === 'day' && !isDay(value)) add(`${path}.${field}[${j}]`, `expected a day as "YYYY-MM-DD", got ${describe(value)}`);
          const typo = key === 'event' ? eventTypo(value) : undefined;
          if (typo) add(`${path}.${field}[${j}]`, `unknown event ${JSON.stringify(value)}; did you mean ${JSON.stringify(typo)}?`);
        });
      }
    });
  };
  checkFilters(raw.filters, 'filters');
  const checkSegmentKey = (key: string, path: string) => {
    if (!dimensionCatalogue.has(key)) add(path, unknown('segment dimension', key, segmentDimensionKeys));
    else if (!segmentDimensionKeys.includes(key)) add(path, `"${key}" is not a segment dimension; filter on it with "filters", or use one of: ${segmentDimensionKeys.join(', ')}`);
  };
  if (isRecord(raw.segment)) for (const key of Object.keys(raw.segment)) checkSegmentKey(key, formatPath(['segment', key]));
  if (typeof raw.split === 'string') {
    if (kind === 'quality') add('split', 'a data quality report cannot be split (failed events and duplicates are not attributed to segments); remove "split"');
    else {
      checkSegmentKey(raw.split, 'split');
      if (dimensions.includes(raw.split)) add('split', `"${raw.split}" is already a dimension; remove it from "dimensions" or from "split"`);
    }
  }

  // Period and comparison.
  if (isRecord(raw.period)) {
    const { last, from, to } = raw.period;
    const fixed = from !== undefined || to !== undefined;
    if (last !== undefined && fixed) add('period', 'give either "last" or "from" and "to", not both');
    else if (fixed && (from === undefined || to === undefined)) add('period', `add ${from === undefined ? '"from"' : '"to"'}: a fixed period needs both days, such as { "from": "2026-10-01", "to": "2026-10-31" }`);
    else if (!fixed && last === undefined) add('period', 'add "last": 30 (days ending at the run\'s --to day) or "from" and "to"');
    if (isDay(from) && isDay(to) && from > to) add('period.from', `${from} is after "to" (${to}); swap them`);
  }
  if (kind === 'trending' && raw.compare === 'none') add('compare', 'a trending report always compares with the previous period; remove "compare"');
  if ((kind === 'retention' || kind === 'quality') && raw.compare === 'previous_period') add('compare', `${kindNoun[kind]} has no comparison; remove "compare"`);

  // Sort, limit, chart.
  if (raw.sort !== undefined && kind !== 'table' && kind !== undefined) {
    const order = kind === 'trending' ? 'ranked by growth' : kind === 'overview' ? 'ordered by day' : kind === 'funnel' ? 'in step order' : kind === 'retention' ? 'ordered by cohort' : 'in a fixed order';
    add('sort', `${kindNoun[kind]} is ${order}; remove "sort"`);
  } else if (Array.isArray(raw.sort)) {
    const sortable = [...dimensions, ...metrics, ...(compares ? metrics.map((metric) => `${metric}_change`) : []), ...(typeof raw.split === 'string' ? [raw.split] : [])];
    raw.sort.forEach((entry, i) => {
      if (isRecord(entry) && typeof entry.by === 'string' && !sortable.includes(entry.by)) {
        add(`sort[${i}].by`, `${JSON.stringify(entry.by)} is not a column of this report; ${suggest(entry.by, sortable, 'sort by one of')}`);
      }
    });
  }
  if (raw.limit !== undefined && kind !== undefined && kind !== 'table' && kind !== 'trending') add('limit', `${kindNoun[kind]} shows all its rows; remove "limit"`);
  if (isRecord(raw.chart) && kind) {
    const allowed: Record<ReportKind, readonly string[]> = {
      table: ['bar', 'line'],
      overview: ['line', 'bar'],
      trending: ['bar'],
      funnel: ['funnel', 'bar'],
      retention: ['heatmap'],
      quality: ['bar'],
    };
    const type = raw.chart.type;
    if (typeof type === 'string' && (chartTypes as readonly string[]).includes(type) && !allowed[kind].includes(type)) {
      add('chart.type', `${kindNoun[kind]} draws ${allowed[kind].map((t) => `"${t}"`).join(' or ')} charts, not "${type}"`);
    }
    if (Array.isArray(raw.chart.series)) {
      if (kind === 'funnel' || kind === 'retention' || kind === 'quality') add('chart.series', `${kindNoun[kind]} draws fixed series; remove "series"`);
      else {
        const plotted = [...metrics, ...(compares ? metrics.map((metric) => `${metric}_change`) : [])];
        raw.chart.series.forEach((series, i) => {
          if (typeof series === 'string' && !plotted.includes(series)) {
            add(`chart.series[${i}]`, `${JSON.stringify(series)} is not a metric of this report; ${suggest(series, plotted, 'plot one of')}`);
          }
        });
      }
    }
    if (typeof raw.chart.x === 'string') {
      if (kind !== 'table') add('chart.x', `${kindNoun[kind]} has a fixed category axis; remove "x"`);
      else if (!dimensions.includes(raw.chart.x)) add('chart.x', `${JSON.stringify(raw.chart.x)} is not a dimension of this report; use one of: ${dimensions.join(', ') || '(add dimensions first)'}`);
    }
  }

  // Kind-specific fields.
  const only = (field: string, owner: ReportKind, example: string) => {
    if (raw[field] !== undefined && kind !== undefined && kind !== owner) add(field, `only ${kindNoun[owner]} uses "${field}" (${example}); remove it or set "kind": "${owner}"`);
  };
  only('minVolume', 'trending', 'the fewest views to be ranked');
  only('steps', 'funnel', 'the events in order');
  only('within', 'funnel', 'session or visitor');
  only('weeks', 'retention', 'weeks shown per cohort');
  if (kind === 'funnel') {
    if (!Array.isArray(raw.steps)) add('steps', 'a funnel needs 2 to 8 steps; add "steps": [{ "event": "page_viewed" }, { "event": "post_read" }]');
    else {
      if (raw.steps.length < 2 || raw.steps.length > 8) add('steps', `a funnel needs 2 to 8 steps, got ${raw.steps.length}`);
      raw.steps.forEach((step, i) => {
        if (!isRecord(step)) return;
        if (typeof step.event === 'string') {
          const typo = eventTypo(step.event);
          if (typo) add(`steps[${i}].event`, `unknown event ${JSON.stringify(step.event)}; did you mean ${JSON.stringify(typo)}?`);
        }
        checkFilters(step.filters, `steps[${i}].filters`);
      });
    }
  }
  return issues;
}

/**
 * Validates a definition (already parsed from JSON) and fills in its defaults. Every mistake is reported at once,
 * each with its JSON path and what to write instead:
 * `metrics[2]: unknown metric "view"; did you mean "views"? Known: …`. Unknown keys are mistakes too.
 * @param source The file or name shown in the error.
 * @throws {DefinitionError} listing every mistake.
 * @example
 * ```ts
 * const definition = parseDefinition({ id: 'posts', title: 'Posts', metrics: ['views'], dimensions: ['post'] });
 * ```
 */
export function parseDefinition(input: unknown, source?: string): ReportDefinition {
  if (!isRecord(input)) {
    throw new DefinitionError([{ path: '(root)', message: `expected an object such as { "id": "posts", "title": "Posts", "metrics": ["views"] }, got ${describe(input)}` }], source);
  }
  const parsed = reportDefinitionSchema.safeParse(input, { reportInput: true });
  const issues = [...(parsed.success ? [] : zodIssues(parsed.error.issues)), ...crossChecks(input)];
  if (issues.length > 0) {
    const seen = new Set<string>();
    const unique = issues.filter((issue) => {
      const key = `${issue.path}\n${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    throw new DefinitionError(unique, source ?? (typeof input.id === 'string' ? input.id : undefined));
  }
  return parsed.data!;
}

/** Offset of the first JSON syntax error in `text` (a small recursive-descent check, run only after a failure). */
function syntaxErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] < ' ') fail();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    space();
    const open = text[i];
    if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (open === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (open === '"') return string();
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!literal) fail();
    i += literal![0].length;
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return -1;
  } catch (offset) {
    return offset as number;
  }
}

/** `at line L, column C: unexpected "x"` for the first syntax error in `text`. */
function jsonErrorPosition(text: string): string {
  const offset = syntaxErrorOffset(text);
  if (offset < 0) return '';
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const found = offset >= text.length ? 'end of file' : JSON.stringify(text[offset]);
  return ` at line ${line}, column ${column}: unexpected ${found}`;
}

/**
 * Parses and validates a definition from JSON text.
 * @throws {DefinitionError} for invalid JSON (with line and column) or any mistake in the definition.
 */
export function parseDefinitionText(text: string, source?: string): ReportDefinition {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DefinitionError([{ path: '(root)', message: `not valid JSON${jsonErrorPosition(text)}` }], source);
  }
  return parseDefinition(json, source);
}

function readError(file: string, error: unknown): DefinitionError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOENT' ? 'no such file; check the path given to --definition' : error instanceof Error ? error.message : String(error);
  return new DefinitionError([{ path: '(root)', message: why }], file);
}

/**
 * Reads and validates a definition file, such as one copied from `packages/report/definitions/`.
 * @throws {DefinitionError} when the file is missing, is not JSON, or has mistakes (all listed, each with its path).
 * @example
 * ```ts
 * const definition = await loadDefinition('./reports/family-content.json');
 * ```
 */
export async function loadDefinition(file: string): Promise<ReportDefinition> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw readError(file, error);
  }
  return parseDefinitionText(text, file);
}

/** {@link loadDefinition}, synchronously. */
export function loadDefinitionSync(file: string): ReportDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw readError(file, error);
  }
  return parseDefinitionText(text, file);
}
