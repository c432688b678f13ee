import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { chunkEvents } from './chunkEvents';
import { isolateFailures } from './isolateFailures';
import { checkUrl, failOrRethrow, isPayloadRefusal, postJson } from './httpPost';
import { withRetry } from './retryingSink';
import type { RetryOptions } from './retryingSink';
import type { FailedEvent, Sink, SinkEvent, WriteResult } from './sink';
import { invalidOption } from './sinkError';

/** Options of {@link httpSink}. */
export interface HttpSinkOptions {
  /** Where batches are POSTed, an `http:` or `https:` URL. */
  url: string;
  /** Name in logs and failure reasons. @default 'http' */
  name?: string;
  /** Extra request headers, such as `Authorization`. */
  headers?: Record<string, string>;
  /** Key of the HMAC-SHA256 signature header; without it requests are not signed. Never logged. */
  secret?: string;
  /** Header that carries the signature `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. @default 'Waymark-Signature' */
  signatureHeader?: string;
  /** Most events in one request. @default 500 */
  maxEvents?: number;
  /** Most bytes of events in one request. @default 1048576 */
  maxBytes?: number;
  /** Retries of a request that failed with a network error, 408, 429 or 5xx; `false` for none. @default { attempts: 5 } */
  retry?: RetryOptions | false;
  /** Time limit of one request, in ms. @default 10000 */
  timeoutMs?: number;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of {@link webhookSink}: those of {@link httpSink}, with `secret` required. */
export interface WebhookSinkOptions extends HttpSinkOptions {
  /** Key of the HMAC-SHA256 signature header the receiver checks with {@link verifySignature}. */
  secret: string;
}

/** The signature header value for a body: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signBody(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Options of {@link verifySignature}. */
export interface VerifySignatureOptions {
  /** The raw request body, exactly as received. */
  body: string;
  /** The signature header's value. */
  header: string | null | undefined;
  /** The shared secret. */
  secret: string;
  /** Oldest signature accepted, in seconds, against replays. @default 300 */
  toleranceSeconds?: number;
  /** The receiver's clock, in ms. @default Date.now() */
  now?: number;
}

/**
 * Checks a request signed by {@link httpSink} / {@link webhookSink}, in constant time. For receivers.
 * @example
 * ```ts
 * const body = await request.text();
 * if (!verifySignature({ body, header: request.headers.get('waymark-signature'), secret })) return new Response(null, { status: 401 });
 * ```
 */
export function verifySignature(options: VerifySignatureOptions): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(options.header ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signBody(options.body, options.secret, timestamp).slice(`t=${timestamp},v1=`.length), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

interface Serialised {
  event: SinkEvent;
  json: string;
  bytes: number;
}

/**
 * POSTs events in batches to any URL as `{ "sentAt": ISO, "events": [envelope, ...] }` (the shape the collector
 * accepts), signed with an HMAC header when `secret` is set, with an `Idempotency-Key` per batch and retries on
 * network errors, 408, 429 (after `Retry-After`) and 5xx. A receiver may answer `{ "failed": [{ "id", "reason" }] }`
 * to fail single events. Receivers should dedupe by event id: a retried request carries the same events.
 * @example
 * ```ts
 * import { httpSink } from '@waymark/sinks/http';
 * const sink = httpSink({ url: 'https://warehouse.example/ingest', headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export function httpSink(options: HttpSinkOptions): Sink {
  const name = options?.name ?? 'http';
  const url = checkUrl(name === 'webhook' ? 'webhookSink' : 'httpSink', 'url', options?.url);
  const { secret, signatureHeader = 'Waymark-Signature', maxEvents = 500, maxBytes = 1_048_576, timeoutMs = 10_000 } = options;
  const retry = options.retry === false ? { attempts: 1 } : { attempts: 5, ...options.retry };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const label = name === 'webhook' ? 'webhookSink' : 'httpSink';

  async function send(items: Serialised[]): Promise<FailedEvent[]> {
    // Each event is serialised once: its JSON sizes the chunks and is spliced into the body as it is.
    const body = `{"sentAt":${JSON.stringify(new Date().toISOString())},"events":[${items.map((i) => i.json).join(',')}]}`;
    const headers: Record<string, string> = {
      ...options.headers,
      'idempotency-key': createHash('sha256').update(items.map((i) => i.event.id).join('\n')).digest('hex').slice(0, 32),
    };
    if (secret) headers[signatureHeader] = signBody(body, secret);
    const response = await postJson(label, url, { body, headers, timeoutMs, fetch: fetchImpl });
    const answer = (await response.json().catch(() => undefined)) as { failed?: { id?: unknown; reason?: unknown }[] } | undefined;
    if (!Array.isArray(answer?.failed)) return [];
    const byId = new Map(items.map((i) => [i.event.id, i.event]));
    return answer.failed.flatMap((f) => {
      const event = byId.get(String(f?.id));
      return event ? [{ event, reason: `[waymark] ${label}: the receiver refused the event: ${String(f.reason ?? 'no reason given')}` }] : [];
    });
  }

  return {
    name,
    async write(events): Promise<WriteResult> {
      let written = 0;
      const failed: FailedEvent[] = [];
      const serialised: Serialised[] = events.map((event) => {
        const json = JSON.stringify(event);
        return { event, json, bytes: Buffer.byteLength(json) };
      });
      for (const chunk of chunkEvents(serialised, { maxEvents, maxBytes }, (item) => item.bytes)) {
        const refused: FailedEvent[] = [];
        try {
          const result = await isolateFailures(chunk, {
            sink: label,
            isDataError: isPayloadRefusal,
            write: async (items) => void refused.push(...(await withRetry(() => send(items), retry))),
          });
          failed.push(...result.failed, ...refused);
          written += result.written - refused.length;
        } catch (error) {
          failed.push(...failOrRethrow(error, chunk.map((item) => item.event)));
        }
      }
      return { written, skipped: 0, failed };
    },
  };
}

/**
 * {@link httpSink} for webhooks: the same batched, retried POST, always signed (`secret` is required) so the
 * receiver can check with {@link verifySignature} that the request came from your collector.
 * @example
 * ```ts
 * import { webhookSink } from '@waymark/sinks/http';
 * const sink = webhookSink({ url: 'https://hooks.example/waymark', secret: process.env.WEBHOOK_SECRET! });
 * ```
 */
export function webhookSink(options: WebhookSinkOptions): Sink {
  if (typeof options?.secret !== 'string' || options.secret.length < 16) {
    invalidOption('webhookSink', 'secret', 'is required and must be at least 16 characters: webhookSink({ url, secret: process.env.WEBHOOK_SECRET })');
  }
  return httpSink({ name: 'webhook', ...options });
}
