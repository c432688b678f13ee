/** Why an event was not stored; the `reason` label of `waymark_events_rejected_total`. */
export type RejectReason = 'invalid' | 'too_large' | 'too_old' | 'consent' | 'suppressed' | 'bot' | 'store';

/** The collector's counters, rendered as Prometheus text by `GET /metrics`. */
export interface Metrics {
  accepted: number;
  duplicates: number;
  rejected: Record<RejectReason, number>;
  bots: { flagged: number; dropped: number };
  rateLimited: number;
  requests: Map<number, number>;
  /** Per sink: writes, failed writes or events, and total seconds spent writing. */
  sinks: Map<string, { writes: number; failures: number; seconds: number }>;
  /** Runs of the `maintenance` task (such as the report rollups): how many, how many failed, seconds spent, last success (epoch ms, 0 for never). */
  maintenance: { runs: number; failures: number; seconds: number; lastSuccess: number };
  /** Commits whose counts could not be added to `waymark_ingest_stats`. */
  ingestStatsFailures: number;
  /** Failed events stored by `POST /v1/failed-events/replay`. */
  replayed: number;
}

/** Fresh zeroed {@link Metrics}. */
export function createMetrics(): Metrics {
  return {
    accepted: 0,
    duplicates: 0,
    rejected: { invalid: 0, too_large: 0, too_old: 0, consent: 0, suppressed: 0, bot: 0, store: 0 },
    bots: { flagged: 0, dropped: 0 },
    rateLimited: 0,
    requests: new Map(),
    sinks: new Map(),
    maintenance: { runs: 0, failures: 0, seconds: 0, lastSuccess: 0 },
    ingestStatsFailures: 0,
    replayed: 0,
  };
}

/** Records one sink write's duration and whether it failed. */
export function recordSinkWrite(metrics: Metrics, sink: string, seconds: number, failures: number): void {
  const entry = metrics.sinks.get(sink) ?? { writes: 0, failures: 0, seconds: 0 };
  entry.writes += 1;
  entry.failures += failures;
  entry.seconds += seconds;
  metrics.sinks.set(sink, entry);
}

const label = (value: string) => value.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** The gauges `/metrics` reads at each scrape, beside the counters of {@link Metrics}. */
export interface MetricGauges {
  queueDepth: number;
  recentIds: number;
  dedupeWindowIds?: number;
  dedupeWindowBytes?: number;
  /** What DuckDB's buffer manager holds, by `duckdb_memory()` tag; absent while the store is not open. */
  storeMemory?: Record<string, number>;
  /** `process.memoryUsage()` of the collector's process. */
  memory?: { rss: number; heapTotal: number; heapUsed: number; external: number };
}

/** The collector's counters and gauges in the Prometheus text exposition format 0.0.4. */
export function renderMetrics(metrics: Metrics, gauges: MetricGauges): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('waymark_events_accepted_total', 'counter', 'Events stored.', [['', metrics.accepted]]);
  metric('waymark_duplicates_dropped_total', 'counter', 'Events not stored again because their id was already stored.', [['', metrics.duplicates]]);
  metric(
    'waymark_events_rejected_total',
    'counter',
    'Events refused, by reason.',
    Object.entries(metrics.rejected).map(([reason, n]) => [`{reason="${reason}"}`, n]),
  );
  metric('waymark_bot_events_total', 'counter', 'Events whose User-Agent is a bot, by what was done with them.', [
    ['{action="flagged"}', metrics.bots.flagged],
    ['{action="dropped"}', metrics.bots.dropped],
  ]);
  metric('waymark_rate_limited_total', 'counter', 'Requests answered 429.', [['', metrics.rateLimited]]);
  metric(
    'waymark_http_requests_total',
    'counter',
    'Ingest requests by response status.',
    [...metrics.requests].sort(([a], [b]) => a - b).map(([status, n]) => [`{status="${status}"}`, n]),
  );
  const sinks = [...metrics.sinks].sort(([a], [b]) => a.localeCompare(b));
  lines.push('# HELP waymark_sink_write_seconds Time spent in sink writes.', '# TYPE waymark_sink_write_seconds summary');
  for (const [sink, m] of sinks) {
    lines.push(`waymark_sink_write_seconds_sum{sink="${label(sink)}"} ${m.seconds}`, `waymark_sink_write_seconds_count{sink="${label(sink)}"} ${m.writes}`);
  }
  metric('waymark_sink_failures_total', 'counter', 'Sink writes that threw plus events a sink failed.', sinks.map(([s, m]) => [`{sink="${label(s)}"}`, m.failures]));
  metric('waymark_maintenance_runs_total', 'counter', 'Runs of the maintenance task (report rollups), failed or not.', [['', metrics.maintenance.runs]]);
  metric('waymark_maintenance_failures_total', 'counter', 'Runs of the maintenance task that failed (each is logged).', [['', metrics.maintenance.failures]]);
  metric('waymark_maintenance_seconds_total', 'counter', 'Time spent in the maintenance task.', [['', metrics.maintenance.seconds]]);
  metric('waymark_maintenance_last_success_timestamp_seconds', 'gauge', 'When the maintenance task last succeeded (Unix time; 0 if never).', [
    ['', metrics.maintenance.lastSuccess / 1000],
  ]);
  metric('waymark_ingest_stats_failures_total', 'counter', 'Commits whose counts could not be added to waymark_ingest_stats.', [['', metrics.ingestStatsFailures]]);
  metric('waymark_failed_events_replayed_total', 'counter', 'Failed events stored by a replay after they passed validation.', [['', metrics.replayed]]);
  metric('waymark_queue_depth', 'gauge', 'Events waiting to be committed or forwarded.', [['', gauges.queueDepth]]);
  metric('waymark_recent_ids', 'gauge', 'Most recent event ids held exactly in memory for dedupe.', [['', gauges.recentIds]]);
  metric('waymark_dedupe_window_ids', 'gauge', 'Fingerprints of the event ids stored within the dedupe window, held in memory.', [['', gauges.dedupeWindowIds ?? 0]]);
  metric('waymark_dedupe_window_bytes', 'gauge', 'Memory the fingerprints of the dedupe window take.', [['', gauges.dedupeWindowBytes ?? 0]]);
  if (gauges.storeMemory !== undefined) {
    metric(
      'waymark_store_memory_bytes',
      'gauge',
      "Memory DuckDB's buffer manager holds, by what holds it (the sum is capped by store.memoryLimit).",
      Object.entries(gauges.storeMemory).map(([tag, bytes]) => [`{tag="${label(tag)}"}`, bytes]),
    );
  }
  if (gauges.memory) {
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [['', gauges.memory.rss]]);
    metric('nodejs_heap_size_total_bytes', 'gauge', 'JavaScript heap reserved, in bytes.', [['', gauges.memory.heapTotal]]);
    metric('nodejs_heap_size_used_bytes', 'gauge', 'JavaScript heap in use, in bytes.', [['', gauges.memory.heapUsed]]);
    metric('nodejs_external_memory_bytes', 'gauge', 'Memory of objects outside the JavaScript heap bound to it (ArrayBuffers, Buffers), in bytes.', [
      ['', gauges.memory.external],
    ]);
  }
  return `${lines.join('\n')}\n`;
}
