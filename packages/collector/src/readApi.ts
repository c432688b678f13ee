import type { Context, Hono } from 'hono';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { dashboardHeaders, dashboardHtml, dashboardScript } from './dashboardPage';
import type { DataRights } from './dataRights';
import type { CollectorStore, StoredSubject } from './duckdbStore';
import { aggregateSql, csvColumns, csvLine, exportEvent, exportSql, impossible, instantFormat, parseExport, parseInstant, parseQuery, subjectEventsSql, subjectFailedSql } from './eventQueries';
import type { ReadScope } from './eventQueries';
import type { EventStream } from './eventStream';
import { HttpError, problemResponse } from './HttpError';
import { openApiDocument } from './openApiDocument';
import type { RateLimiter } from './rateLimiter';
import type { ReadKey, ReadKeyring, ReadRole } from './readKeys';
import { readBody } from './readBody';
import type { ReplayReport, RequestInfo } from './createCollector';
import type { FailedEventFilter } from './duckdbStore';

/** What the read routes need from the collector. */
export interface ReadApiDeps {
  keyring: ReadKeyring;
  limiter?: RateLimiter;
  now(): number;
  /** The open store, or a 503 HttpError. */
  store(): Promise<CollectorStore>;
  rights: DataRights;
  stream: EventStream;
  /** The collector's pseudonym of a raw user id. */
  pseudonymise(userId: string): string;
  /** Prometheus text of the collector's metrics. */
  metrics(): Promise<string>;
  /** Validates the failed events the filter selects (`siteId`: of that site only) against the current catalogues and stores those that pass. */
  replay(filter: FailedEventFilter): Promise<ReplayReport>;
}

type App = Hono<{ Bindings: RequestInfo | undefined }>;
const encoder = new TextEncoder();
const MAX_SUBJECTS = 5000;
const replayKeys = ['reason', 'from', 'to'] as const;

/** Checks the optional JSON body of `POST /v1/failed-events/replay`. */
function parseReplayFilter(text: string): FailedEventFilter {
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be a JSON object such as { "reason": "unknown event", "from": "2026-05-01", "to": "2026-06-01" }, or empty');
  }
  const filter: FailedEventFilter = {};
  for (const [name, value] of Object.entries(body)) {
    if (!(replayKeys as readonly string[]).includes(name)) {
      throw new HttpError(400, `unknown field "${name}"; allowed fields: ${replayKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (name === 'reason') {
      if (typeof value !== 'string' || value.length === 0 || value.length > 500) throw new HttpError(400, '"reason" must be text of 1 to 500 characters contained in the failure reason');
      filter.reason = value;
    } else {
      const ms = typeof value === 'string' ? parseInstant(value) : undefined;
      if (ms === undefined) {
        throw new HttpError(400, `"${name}" must be ${instantFormat}; got ${JSON.stringify(value)}${typeof value === 'string' ? impossible(value) : ''}`);
      }
      filter[name as 'from' | 'to'] = ms;
    }
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) throw new HttpError(400, '"from" must be before "to"');
  return filter;
}

const scopeOf = (key: ReadKey): ReadScope => ({ ...(key.role === 'creator' ? { authorId: key.authorId } : {}), ...(key.siteId ? { siteId: key.siteId } : {}) });

/** Registers the read API, data-rights routes, `/metrics`, `/openapi.json` and the dashboard on the collector's app. */
export function registerReadApi(app: App, deps: ReadApiDeps, version: string): { close(): Promise<void> } {
  const { keyring } = deps;
  // Reads in flight and the connections they use, so closing waits for them instead of closing DuckDB under a query.
  const pending = new Set<Promise<unknown>>();
  const connections = new Set<DuckDBConnection>();
  let closed = false;
  const track = <T>(task: Promise<T>): Promise<T> => {
    pending.add(task);
    const settled = () => pending.delete(task);
    task.then(settled, settled);
    return task;
  };
  async function connect(): Promise<DuckDBConnection> {
    if (closed) throw new HttpError(503, 'the collector is shutting down; retry later', { headers: { 'retry-after': '5' } });
    const db = await track((await deps.store()).connect());
    connections.add(db);
    return db;
  }
  function release(db: DuckDBConnection) {
    if (!connections.delete(db)) return;
    try {
      db.closeSync();
    } catch {
      // Already closed.
    }
  }

  /** The request's read key if its role is allowed; 401, 403 or 429 otherwise. */
  function authorise(c: Context, roles: readonly ReadRole[]): ReadKey {
    const challenge = { 'www-authenticate': 'Bearer realm="waymark"' };
    const header = c.req.header('authorization') ?? null;
    if (keyring.size === 0) throw new HttpError(401, 'no read keys are configured on this collector (`readKeys` option)', { headers: challenge });
    if (header === null) throw new HttpError(401, 'missing read key: send Authorization: Bearer <readKey>', { headers: challenge });
    const key = keyring.authenticate(header);
    if (!key) throw new HttpError(401, 'unknown read key', { headers: challenge });
    if (!roles.includes(key.role)) throw new HttpError(403, `a ${key.role} key may not use ${c.req.method} ${new URL(c.req.url).pathname}`);
    const wait = deps.limiter?.take(`read\u0000${key.name}`, deps.now()) ?? 0;
    if (wait > 0) {
      throw new HttpError(429, `rate limit reached for read key "${key.name}"; retry after ${Math.ceil(wait / 1000)} s`, {
        headers: { 'retry-after': String(Math.ceil(wait / 1000)) },
      });
    }
    return key;
  }

  const guarded =
    (handler: (c: Context) => Promise<Response> | Response) =>
    async (c: Context): Promise<Response> => {
      try {
        return await handler(c);
      } catch (error) {
        if (error instanceof HttpError) return problemResponse(error);
        throw error;
      }
    };

  async function readAll(sql: string, params: DuckDBValue[]): Promise<unknown[][]> {
    const db = await connect();
    try {
      return (await track(db.runAndReadAll(sql, params))).getRows() as unknown[][];
    } finally {
      release(db);
    }
  }

  /** Streams the rows of a query as lines, one DuckDB chunk at a time, on its own connection. */
  async function streamRows(queries: { sql: string; params: DuckDBValue[]; line(row: unknown[]): string }[], head = ''): Promise<ReadableStream<Uint8Array>> {
    const db = await connect();
    let index = 0;
    let result: Awaited<ReturnType<DuckDBConnection['stream']>> | undefined;
    let started = false;
    let cancelled = false;
    // The pull in flight: the connection is closed only after it, never under a running query.
    let busy: Promise<void> = Promise.resolve();
    async function next(controller: ReadableStreamDefaultController<Uint8Array>) {
      if (!started) {
        started = true;
        if (head) {
          controller.enqueue(encoder.encode(head));
          return;
        }
      }
      for (;;) {
        if (closed) throw new Error('[waymark] the collector closed during the export');
        if (cancelled) return;
        if (!result) {
          if (index >= queries.length) {
            release(db);
            controller.close();
            return;
          }
          result = await track(db.stream(queries[index].sql, queries[index].params));
        }
        const chunk = await track(result.fetchChunk());
        if (!chunk || chunk.rowCount === 0) {
          result = undefined;
          index += 1;
          continue;
        }
        const line = queries[index].line;
        controller.enqueue(encoder.encode((chunk.getRows() as unknown[][]).map(line).join('')));
        return;
      }
    }
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        busy = next(controller).catch((error: unknown) => {
          release(db);
          controller.error(error);
        });
        return busy;
      },
      async cancel() {
        cancelled = true;
        await busy;
        release(db);
      },
    });
  }

  function subjectOf(c: Context): { subject: StoredSubject; type: 'user' | 'anonymous' } {
    const url = new URL(c.req.url);
    for (const name of new Set(url.searchParams.keys())) {
      if (name !== 'type') throw new HttpError(400, `unknown query parameter "${name}"; allowed parameters: "type"`);
    }
    const type = url.searchParams.get('type');
    if (type !== 'user' && type !== 'anonymous') {
      throw new HttpError(400, `query parameter "type" is ${type === null ? 'missing' : JSON.stringify(type)}; allowed values: "user", "anonymous"`);
    }
    const id = c.req.param('id') ?? '';
    if (id.length === 0 || id.length > 256) throw new HttpError(400, 'path parameter "id" must be 1 to 256 characters');
    return { type, subject: type === 'user' ? { userId: deps.pseudonymise(id) } : { anonymousId: id } };
  }

  const ndjson = (value: unknown) => `${JSON.stringify(value)}\n`;
  // Hono answers HEAD with its GET route and drops the body unread, so a streaming route must not start its query
  // (or subscription) for a HEAD: nothing would ever cancel it and release its connection.
  const isHead = (c: Context) => c.req.method === 'HEAD';
  const headOnly = (headers: Record<string, string>) => new Response(null, { headers });

  app.get(
    '/v1/key',
    guarded((c) => {
      const key = authorise(c, ['admin', 'creator', 'marketing']);
      return Response.json(
        { name: key.name, role: key.role, ...(key.authorId ? { authorId: key.authorId } : {}), ...(key.siteId ? { siteId: key.siteId } : {}) },
        { headers: { 'cache-control': 'no-store' } },
      );
    }),
  );

  app.post(
    '/v1/failed-events/replay',
    guarded(async (c) => {
      const key = authorise(c, ['admin']);
      const type = c.req.header('content-type')?.split(';', 1)[0].trim().toLowerCase();
      const text = await readBody(c.req.raw, 10_000);
      if (text.trim() !== '' && type !== 'application/json') throw new HttpError(415, 'send the filter as application/json: { "reason": "…", "from": "…", "to": "…" }, or no body');
      // A key bound to one site replays that site's failed events only.
      const filter = { ...parseReplayFilter(text), ...(key.siteId ? { siteId: key.siteId } : {}) };
      await deps.store();
      return Response.json(await track(deps.replay(filter)), { headers: { 'cache-control': 'no-store' } });
    }),
  );

  app.get(
    '/v1/query',
    guarded(async (c) => {
      const key = authorise(c, ['admin', 'creator', 'marketing']);
      const spec = parseQuery(new URL(c.req.url), deps.now());
      const { sql, params } = aggregateSql(spec, scopeOf(key));
      const rows = await readAll(sql, params);
      const more = rows.length > spec.limit;
      return Response.json(
        {
          metric: spec.metric,
          bucket: spec.bucket,
          from: new Date(spec.from).toISOString(),
          to: new Date(spec.to).toISOString(),
          ...(spec.dimension ? { dimension: spec.dimension } : {}),
          filters: spec.filters,
          weighted: spec.metric !== 'visitors',
          note:
            spec.metric === 'visitors'
              ? 'visitors are distinct daily visitor hashes (or anonymous ids), not weighted by sampling'
              : 'counts are weighted by 1 / sampleRate, so sampled traffic is estimated at full volume',
          ...(key.role === 'creator' ? { scope: { authorId: key.authorId } } : {}),
          limit: spec.limit,
          offset: spec.offset,
          // Never a silent cut: null on the last page, else the offset of the next one.
          nextOffset: more ? spec.offset + spec.limit : null,
          rows: rows.slice(0, spec.limit).map(([bucket, dimension, value]) => ({
            bucket: new Date(Number(bucket)).toISOString(),
            ...(spec.dimension ? { [spec.dimension]: dimension } : {}),
            value: Math.round(Number(value) * 1000) / 1000,
          })),
        },
        { headers: { 'cache-control': 'no-store' } },
      );
    }),
  );

  app.get(
    '/v1/events',
    guarded(async (c) => {
      const key = authorise(c, ['admin', 'creator']);
      const spec = parseExport(new URL(c.req.url), deps.now());
      const { sql, params } = exportSql(spec, scopeOf(key));
      const csv = spec.format === 'csv';
      const headers = {
        'content-type': csv ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="waymark-events.${spec.format}"`,
        'cache-control': 'no-store',
      };
      if (isHead(c)) return headOnly(headers);
      const body = await streamRows([{ sql, params, line: csv ? csvLine : (row) => ndjson(exportEvent(row)) }], csv ? `${csvColumns.join(',')}\r\n` : '');
      return new Response(body, { headers });
    }),
  );

  app.get(
    '/v1/subjects/:id/events',
    guarded(async (c) => {
      const key = authorise(c, ['admin', 'creator']);
      const { subject } = subjectOf(c);
      const scope = scopeOf(key);
      const events = subjectEventsSql(subject, scope);
      const failed = subjectFailedSql(subject, scope);
      const headers = { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' };
      if (isHead(c)) return headOnly(headers);
      const body = await streamRows([
        { ...events, line: (row) => ndjson({ source: 'events', event: exportEvent(row) }) },
        {
          ...failed,
          line: ([id, siteId, receivedAt, reason, payload]) =>
            ndjson({ source: 'failed_events', id, siteId, receivedAt: new Date(Number(receivedAt)).toISOString(), reason, event: JSON.parse(String(payload)) }),
        },
      ]);
      return new Response(body, { headers });
    }),
  );

  app.delete(
    '/v1/subjects/:id',
    guarded(async (c) => {
      const key = authorise(c, ['admin']);
      const { subject } = subjectOf(c);
      await deps.store();
      // A key bound to one site erases and suppresses the subject on that site only.
      const report = await deps.rights.erase(subject, { siteId: key.siteId });
      const failing = report.sinks.filter((s) => s.error);
      if (failing.length > 0) {
        throw new HttpError(502, `erased from the store and suppressed, but ${failing.map((s) => `sink ${s.name} failed: ${s.error}`).join('; ')}; repeat the call to retry`);
      }
      return Response.json({
        erased: { events: report.events, failedEvents: report.failedEvents },
        sinks: report.sinks,
        suppressed: true,
        ...(key.siteId ? { siteId: key.siteId } : {}),
      });
    }),
  );

  app.post(
    '/v1/erasures',
    guarded(async (c) => {
      const key = authorise(c, ['admin']);
      const type = c.req.header('content-type')?.split(';', 1)[0].trim().toLowerCase();
      if (type !== 'application/json') throw new HttpError(415, 'send the subjects as application/json: { "subjects": [{ "type": "user", "id": "…" }] }');
      const text = await readBody(c.req.raw, 2_000_000);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
      }
      const subjects = (body as { subjects?: unknown } | null)?.subjects;
      if (!Array.isArray(subjects) || subjects.length === 0 || subjects.length > MAX_SUBJECTS) {
        throw new HttpError(400, `"subjects" must be an array of 1 to ${MAX_SUBJECTS} { "type": "user" | "anonymous", "id": "…" }`);
      }
      const stored = subjects.map((s: unknown, i): StoredSubject => {
        const { type: kind, id } = (s ?? {}) as { type?: unknown; id?: unknown };
        if ((kind !== 'user' && kind !== 'anonymous') || typeof id !== 'string' || id.length === 0 || id.length > 256) {
          throw new HttpError(400, `"subjects.${i}" must be { "type": "user" | "anonymous", "id": a string of 1 to 256 characters }`);
        }
        return kind === 'user' ? { userId: deps.pseudonymise(id) } : { anonymousId: id };
      });
      await deps.store();
      const job = await deps.rights.startJob(stored, { siteId: key.siteId });
      return Response.json(deps.rights.job(job), { status: 202, headers: { location: `/v1/erasures/${job}` } });
    }),
  );

  app.get(
    '/v1/erasures/:job',
    guarded((c) => {
      const key = authorise(c, ['admin']);
      const status = deps.rights.job(c.req.param('job') ?? '');
      // A key bound to one site sees only that site's jobs; another's is as unknown to it as a job that never was.
      if (!status || (key.siteId !== undefined && status.siteId !== key.siteId)) throw new HttpError(404, `no erasure job ${JSON.stringify(c.req.param('job'))}`);
      return Response.json(status, { headers: { 'cache-control': 'no-store' } });
    }),
  );

  app.get(
    '/v1/stream',
    guarded(async (c) => {
      const key = authorise(c, ['admin', 'creator']);
      await deps.store();
      const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' };
      if (isHead(c)) return headOnly(headers);
      return new Response(deps.stream.open(scopeOf(key)), { headers });
    }),
  );

  app.get(
    '/metrics',
    guarded(async (c) => {
      if (keyring.size > 0) {
        const key = authorise(c, ['admin']);
        // The counters are the collector's, summed over every site.
        if (key.siteId !== undefined) throw new HttpError(403, `read key "${key.name}" is limited to site "${key.siteId}"; /metrics counts every site, so it needs an admin key for every site`);
      }
      return new Response(await deps.metrics(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } });
    }),
  );

  const document = JSON.stringify(openApiDocument(version));
  app.get('/openapi.json', () => new Response(document, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
  app.get('/dashboard', () => new Response(dashboardHtml, { headers: dashboardHeaders('text/html; charset=utf-8') }));
  app.get('/dashboard.js', () => new Response(dashboardScript, { headers: dashboardHeaders('text/javascript; charset=utf-8') }));

  return {
    async close() {
      closed = true;
      while (pending.size > 0) await Promise.allSettled([...pending]);
      for (const db of [...connections]) release(db);
    },
  };
}
