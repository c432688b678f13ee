import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { buildCoreBundle, type BundleMode } from './buildCoreBundle';

/** What the recorder did with a request. */
export type RequestKind = 'batch' | 'preflight' | 'static' | 'other';

/** One request that reached the recorder, whatever its path or method. */
export interface RecordedRequest {
  /** Order of arrival, from 0. */
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Parsed query string (`key` carries the write key). */
  query: Record<string, string>;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** The `content-type` header, or '' when absent. */
  contentType: string;
  /** Raw body text. */
  body: string;
  /** Body size in bytes. */
  bodyBytes: number;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Status answered; 0 when the recorder hung up. */
  status: number;
  kind: RequestKind;
  /** `Date.now()` when the body had been read. */
  receivedAt: number;
}

/** An envelope as received (the recorder does not validate it). */
export interface ReceivedEnvelope {
  id: string;
  type: string;
  name: string;
  timestamp: string;
  properties: Record<string, unknown>;
  [field: string]: unknown;
}

/** A `POST /v1/batch` request with its parsed body. */
export interface RecordedBatch extends RecordedRequest {
  sentAt: string | undefined;
  events: ReceivedEnvelope[];
  /** Whether the recorder answered 2xx, i.e. the events count as delivered. */
  accepted: boolean;
}

/** How the recorder answers one `POST /v1/batch`. */
export type ScriptedResponse =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { hangUp: true; delayMs?: number };

/** Options of {@link startRecorder}. */
export interface RecorderOptions {
  /**
   * Directory served under `/` for GET requests (test pages).
   * @default undefined (no files)
   */
  staticDir?: string;
  /**
   * Extra headers on every static response, e.g. COOP/COEP for a cross-origin isolated page.
   * @default {}
   */
  staticHeaders?: Record<string, string>;
  /**
   * Answer to `POST /v1/batch` when nothing is scripted.
   * @default { status: 200 }
   */
  defaultResponse?: ScriptedResponse;
}

/** Options of {@link Recorder.waitForEvents}. */
export interface WaitOptions {
  /** @default 10_000 */
  timeout?: number;
  /**
   * Count each envelope id once, as the collector's dedupe does (delivery is at-least-once).
   * @default false
   */
  distinct?: boolean;
}

/** A local collector stand-in that records everything it receives. */
export interface Recorder {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Absolute URL of a path on this server. */
  url(path: string): string;
  /** Every request that arrived, static files and preflights included, in order. */
  requests(): RecordedRequest[];
  /** Requests other than static files and the bundle: batches, preflights, anything unexpected. */
  collectorRequests(): RecordedRequest[];
  /** Every `POST /v1/batch`, whatever the answer. */
  batches(): RecordedBatch[];
  /** Envelopes of the batches answered 2xx, in arrival order (duplicates kept, so a test can find them). */
  envelopes(): ReceivedEnvelope[];
  /**
   * Resolves with {@link Recorder.envelopes} once at least `count` delivered envelopes (or distinct ids, with
   * `distinct`) arrived; rejects on timeout with a summary of what did.
   */
  waitForEvents(count: number, options?: WaitOptions): Promise<ReceivedEnvelope[]>;
  /** Resolves once at least `count` batch requests arrived (any answer); rejects on timeout. */
  waitForBatches(count: number, options?: WaitOptions): Promise<RecordedBatch[]>;
  /** Resolves once no request has arrived for `quietMs` (to catch late duplicates before asserting). */
  settle(quietMs?: number): Promise<void>;
  /** Queues answers for the next `POST /v1/batch` requests, used in order before the default answer. */
  respond(...responses: ScriptedResponse[]): void;
  /** Replaces the answer used when nothing is queued. */
  setDefaultResponse(response: ScriptedResponse): void;
  /** Serves `body` at `path` (GET), taking precedence over `staticDir`. */
  serve(path: string, body: string, contentType?: string): void;
  /** Forgets recorded requests and scripted answers. */
  reset(): void;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Paths of the browser bundles of `@waymark/core` (`window.Waymark`). */
export const bundlePaths: Record<BundleMode, string> = {
  production: '/waymark.js',
  development: '/waymark.dev.js',
};

/**
 * Starts a recording collector on 127.0.0.1 with a random port. It answers `POST /v1/batch` (200 unless scripted)
 * with CORS for the calling origin, answers preflights, serves test pages from `staticDir` and the `@waymark/core`
 * browser bundle at `/waymark.js` (production) and `/waymark.dev.js` (development), and records every request.
 *
 * @example
 * const recorder = await startRecorder({ staticDir: fixturesDir });
 * recorder.respond({ status: 503 }, { status: 503 });
 * await page.goto(recorder.url('/tracker.html'));
 * const events = await recorder.waitForEvents(5);
 */
export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const recorded: RecordedRequest[] = [];
  const scripted: ScriptedResponse[] = [];
  const served = new Map<string, { body: string; contentType: string }>();
  let defaultResponse: ScriptedResponse = options.defaultResponse ?? { status: 200 };
  let lastArrival = Date.now();
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  const record = (request: RecordedRequest) => {
    recorded.push(request);
    lastArrival = Date.now();
    notify();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const base = {
      seq: recorded.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      contentType: req.headers['content-type'] ?? '',
      body: body.toString('utf8'),
      bodyBytes: body.byteLength,
      json: parseJson(body.toString('utf8')),
      receivedAt: Date.now(),
    };
    const cors = corsHeaders(req);

    if (base.method === 'OPTIONS') {
      record({ ...base, status: 204, kind: 'preflight' });
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'POST, GET, OPTIONS',
        'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'content-type'),
        'access-control-max-age': '0',
      });
      res.end();
      return;
    }

    if (base.method === 'POST' && url.pathname === '/v1/batch') {
      const answer = scripted.shift() ?? defaultResponse;
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if ('hangUp' in answer) {
        record({ ...base, status: 0, kind: 'batch' });
        req.socket.destroy();
        return;
      }
      record({ ...base, status: answer.status, kind: 'batch' });
      res.writeHead(answer.status, { ...cors, 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? JSON.stringify({ ok: answer.status < 300 }));
      return;
    }

    if (base.method === 'GET') {
      const file = await staticFile(url.pathname);
      if (file) {
        record({ ...base, status: 200, kind: 'static' });
        res.writeHead(200, {
          'content-type': file.contentType,
          'cache-control': 'no-store',
          ...options.staticHeaders,
        });
        res.end(file.body);
        return;
      }
    }

    record({ ...base, status: 404, kind: 'other' });
    res.writeHead(404, { ...cors, 'content-type': 'text/plain' });
    res.end('not found');
  }

  async function staticFile(path: string): Promise<{ body: string | Buffer; contentType: string } | undefined> {
    const page = served.get(path);
    if (page) return page;
    if (path === bundlePaths.production)
      return { body: await buildCoreBundle('production'), contentType: contentTypes['.js'] };
    if (path === bundlePaths.development)
      return { body: await buildCoreBundle('development'), contentType: contentTypes['.js'] };
    if (!options.staticDir) return undefined;
    const root = resolve(options.staticDir);
    const file = normalize(join(root, decodeURIComponent(path === '/' ? '/index.html' : path)));
    if (!file.startsWith(root + sep)) return undefined;
    try {
      return { body: await readFile(file), contentType: contentTypes[extname(file)] ?? 'application/octet-stream' };
    } catch {
      return undefined;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const batches = (): RecordedBatch[] =>
    recorded
      .filter((request) => request.kind === 'batch')
      .map((request) => {
        const json = request.json as { sentAt?: string; events?: ReceivedEnvelope[] } | undefined;
        return {
          ...request,
          sentAt: json?.sentAt,
          events: Array.isArray(json?.events) ? json.events : [],
          accepted: request.status >= 200 && request.status < 300,
        };
      });
  const envelopes = () => batches().flatMap((batch) => (batch.accepted ? batch.events : []));

  function waitUntil<T>(what: string, ready: () => T | undefined, timeout: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = ready();
        if (value === undefined) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`[waymark] recorder: timed out after ${timeout} ms waiting for ${what}; ${describe()}`));
      }, timeout);
      listeners.add(check);
      check();
    });
  }

  function describe(): string {
    const all = batches();
    const statuses = all.map((batch) => `${batch.status}:${batch.events.length}`).join(', ');
    return `received ${recorded.length} requests, ${all.length} batches [status:events ${statuses || 'none'}], ${
      envelopes().length
    } delivered events`;
  }

  return {
    origin,
    port,
    url: (path) => new URL(path, origin).toString(),
    requests: () => [...recorded],
    collectorRequests: () => recorded.filter((request) => request.kind !== 'static'),
    batches,
    envelopes,
    waitForEvents(count, { timeout = 10_000, distinct = false } = {}) {
      return waitUntil(
        `${count} delivered ${distinct ? 'distinct ' : ''}events`,
        () => {
          const list = envelopes();
          const received = distinct ? new Set(list.map((event) => event.id)).size : list.length;
          return received >= count ? list : undefined;
        },
        timeout
      );
    },
    waitForBatches(count, { timeout = 10_000 } = {}) {
      return waitUntil(
        `${count} batch requests`,
        () => {
          const list = batches();
          return list.length >= count ? list : undefined;
        },
        timeout
      );
    },
    async settle(quietMs = 500) {
      while (Date.now() - lastArrival < quietMs) {
        await new Promise((resolve) => setTimeout(resolve, quietMs - (Date.now() - lastArrival) + 5));
      }
    },
    respond: (...responses) => {
      scripted.push(...responses);
    },
    setDefaultResponse: (response) => {
      defaultResponse = response;
    },
    serve: (path, body, contentType = contentTypes['.html']) => {
      served.set(path, { body, contentType });
    },
    reset() {
      recorded.length = 0;
      scripted.length = 0;
      defaultResponse = options.defaultResponse ?? { status: 200 };
      lastArrival = Date.now();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  // Beacons send credentials, so the origin is echoed rather than `*`; Retry-After must be exposed to be readable.
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'Retry-After',
    vary: 'Origin',
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
