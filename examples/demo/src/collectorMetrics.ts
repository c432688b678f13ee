/** What the collector counted during the replay, from its `GET /metrics`. */
export interface CollectorCounts {
  /** Events stored. */
  accepted: number;
  /** Events not stored again because their id was already stored (resends). */
  duplicates: number;
  /** Events refused, by reason (`bot`, `invalid`, `consent`, ...); reasons with no event are left out. */
  rejected: Record<string, number>;
  /** Requests answered 429. */
  rateLimited: number;
  /** Ingest requests by HTTP status. */
  requests: Record<string, number>;
}

/** Reads the counters the demo reports from the collector's Prometheus text. */
export function parseCollectorMetrics(text: string): CollectorCounts {
  const counts: CollectorCounts = { accepted: 0, duplicates: 0, rejected: {}, rateLimited: 0, requests: {} };
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(\w+)="([^"]*)"\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, , label, raw] = match;
    const value = Number(raw);
    if (name === 'waymark_events_accepted_total') counts.accepted = value;
    else if (name === 'waymark_duplicates_dropped_total') counts.duplicates = value;
    else if (name === 'waymark_rate_limited_total') counts.rateLimited = value;
    else if (name === 'waymark_events_rejected_total' && value > 0) counts.rejected[label] = value;
    else if (name === 'waymark_http_requests_total') counts.requests[label] = value;
  }
  return counts;
}

/** Fetches and reads the collector's `/metrics` with an admin read key. */
export async function readCollectorMetrics(origin: string, readKey: string): Promise<CollectorCounts> {
  const response = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${readKey}` } });
  if (!response.ok) throw new Error(`the collector's /metrics answered ${response.status}`);
  return parseCollectorMetrics(await response.text());
}
