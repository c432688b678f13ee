import { afterEach, describe, expect, it } from 'vitest';
import { httpSink, signBody, verifySignature, webhookSink } from './httpSink';
import type { SinkEvent } from './sink';
import { SinkError } from './sinkError';
import { makeEvents, startRecordingServer } from './testSupport';
import type { RecordingServer } from './testSupport';

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const secret = 'whsec_0123456789abcdef';
const bodyOf = (i: number) => JSON.parse(server!.requests[i].body) as { sentAt: string; events: SinkEvent[] };

describe('webhookSink', () => {
  it('POSTs a signed batch the receiver can verify', async () => {
    server = await startRecordingServer();
    const events = makeEvents(3);
    const result = await webhookSink({ url: `${server.url}/hook`, secret, headers: { authorization: 'Bearer t' } }).write(events);
    expect(result).toEqual({ written: 3, skipped: 0, failed: [] });
    const [request] = server.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hook');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe('Bearer t');
    expect(bodyOf(0).events).toEqual(events);
    expect(Date.parse(bodyOf(0).sentAt)).toBeGreaterThan(Date.now() - 5000);
    const header = request.headers['waymark-signature'] as string;
    expect(verifySignature({ body: request.body, header, secret })).toBe(true);
    expect(verifySignature({ body: request.body.replace('post_viewed', 'post_viewet'), header, secret })).toBe(false);
    expect(verifySignature({ body: request.body, header, secret: 'whsec_other_secret_value' })).toBe(false);
  });

  it('requires a secret', () => {
    expect(() => webhookSink({ url: 'http://127.0.0.1:1/hook' } as never)).toThrow('[waymark] webhookSink: option `secret` is required');
  });
});

describe('verifySignature', () => {
  it('refuses a signature older than the tolerance', () => {
    const header = signBody('{}', secret, 1_000_000);
    expect(verifySignature({ body: '{}', header, secret, now: 1_000_100_000 })).toBe(true);
    expect(verifySignature({ body: '{}', header, secret, now: 1_000_400_000 })).toBe(false);
  });
});

describe('httpSink', () => {
  it('splits events into requests of maxEvents', async () => {
    server = await startRecordingServer();
    await httpSink({ url: server.url, maxEvents: 2 }).write(makeEvents(5));
    expect(server.requests.map((_, i) => bodyOf(i).events.length)).toEqual([2, 2, 1]);
    expect(server.requests[0].headers['waymark-signature']).toBeUndefined();
  });

  it('retries a 503, then waits for Retry-After on a 429, resending the same events', async () => {
    const times: number[] = [];
    server = await startRecordingServer((_, i) => {
      times.push(Date.now());
      if (i === 0) return { status: 503 };
      if (i === 1) return { status: 429, headers: { 'retry-after': '1' } };
      return {};
    });
    const events = makeEvents(2);
    const result = await httpSink({ url: server.url, retry: { baseDelayMs: 10 } }).write(events);
    expect(result.written).toBe(2);
    expect(server.requests).toHaveLength(3);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(950);
    expect(new Set(server.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(bodyOf(2).events).toEqual(events);
  });

  it('rejects with a retryable error once retries run out', async () => {
    server = await startRecordingServer(() => ({ status: 502 }));
    const error = await httpSink({ url: server.url, retry: { attempts: 2, baseDelayMs: 1 } }).write(makeEvents(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).retryable).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('fails the batch without retrying on 401', async () => {
    server = await startRecordingServer(() => ({ status: 401, body: 'bad token' }));
    const result = await httpSink({ url: server.url, retry: { baseDelayMs: 1 } }).write(makeEvents(2));
    expect(server.requests).toHaveLength(1);
    expect(result.written).toBe(0);
    expect(result.failed.map((f) => f.reason)).toEqual([
      `[waymark] httpSink: POST ${server.url} answered HTTP 401: bad token`,
      `[waymark] httpSink: POST ${server.url} answered HTTP 401: bad token`,
    ]);
  });

  it('finds the one event a 400 refuses and delivers the rest', async () => {
    const events = makeEvents(8);
    server = await startRecordingServer((request) => {
      const ids = (JSON.parse(request.body) as { events: SinkEvent[] }).events.map((e) => e.id);
      return ids.includes(events[5].id) ? { status: 400, body: 'bad event' } : {};
    });
    const result = await httpSink({ url: server.url }).write(events);
    expect(result.written).toBe(7);
    expect(result.failed.map((f) => f.event)).toEqual([events[5]]);
    const delivered = server.requests.filter((r) => !r.body.includes(events[5].id)).flatMap((r) => (JSON.parse(r.body) as { events: SinkEvent[] }).events);
    expect(delivered.map((e) => e.id).sort()).toEqual(events.filter((_, i) => i !== 5).map((e) => e.id).sort());
  });

  it('reports the events the receiver lists as failed', async () => {
    const events = makeEvents(3);
    server = await startRecordingServer(() => ({ body: JSON.stringify({ failed: [{ id: events[1].id, reason: 'unknown schema' }] }) }));
    const result = await httpSink({ url: server.url }).write(events);
    expect(result.written).toBe(2);
    expect(result.failed).toEqual([{ event: events[1], reason: '[waymark] httpSink: the receiver refused the event: unknown schema' }]);
  });

  it('names a bad url', () => {
    expect(() => httpSink({ url: 'ftp://x' })).toThrow('[waymark] httpSink: option `url` must be an http(s) URL, got "ftp://x"');
  });
});
