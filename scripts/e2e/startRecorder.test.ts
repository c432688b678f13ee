import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRecorder, type Recorder } from './startRecorder';

const post = (recorder: Recorder, body: string, headers: Record<string, string> = {}) =>
  fetch(recorder.url('/v1/batch?key=wk_test'), {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://127.0.0.1:1', ...headers },
    body,
  });

const batch = (...ids: string[]) =>
  JSON.stringify({
    sentAt: new Date().toISOString(),
    events: ids.map((id) => ({ id, name: 'post_viewed', properties: {} })),
  });

describe('startRecorder', () => {
  let dir: string;
  let recorder: Recorder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waymark-recorder-'));
    await mkdir(join(dir, 'public'));
    await writeFile(join(dir, 'public', 'page.html'), '<p>hello</p>');
    await writeFile(join(dir, 'secret.txt'), 'outside');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    recorder = await startRecorder({ staticDir: join(dir, 'public') });
  });
  afterEach(() => recorder.close());

  it('records a batch with its query, content type and parsed events, and answers 200 with CORS', async () => {
    const response = await post(recorder, batch('a', 'b'));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:1');
    expect(response.headers.get('access-control-expose-headers')).toBe('Retry-After');
    const [recorded] = recorder.batches();
    expect(recorded).toMatchObject({
      query: { key: 'wk_test' },
      contentType: 'text/plain;charset=UTF-8',
      accepted: true,
    });
    expect(recorded.bodyBytes).toBe(Buffer.byteLength(batch('a', 'b')));
    expect(recorder.envelopes().map((event) => event.id)).toEqual(['a', 'b']);
  });

  it('answers scripted statuses in order, then the default', async () => {
    recorder.respond({ status: 503 }, { status: 429, headers: { 'Retry-After': '2' } });
    expect((await post(recorder, batch('a'))).status).toBe(503);
    const throttled = await post(recorder, batch('a'));
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '2']);
    expect((await post(recorder, batch('a'))).status).toBe(200);
    expect(recorder.batches().map((request) => request.status)).toEqual([503, 429, 200]);
    expect(recorder.envelopes().map((event) => event.id)).toEqual(['a']);
  });

  it('hangs up on request', async () => {
    recorder.respond({ hangUp: true });
    await expect(post(recorder, batch('a'))).rejects.toThrow();
    expect(recorder.batches().map((request) => request.status)).toEqual([0]);
  });

  it('answers preflights and counts them as collector requests, but not static files', async () => {
    const preflight = await fetch(recorder.url('/v1/batch'), {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:1', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(await (await fetch(recorder.url('/page.html'))).text()).toBe('<p>hello</p>');
    expect((await fetch(recorder.url('/%2e%2e/secret.txt'))).status).toBe(404);
    expect(recorder.collectorRequests().map((request) => [request.method, request.kind])).toEqual([
      ['OPTIONS', 'preflight'],
      ['GET', 'other'],
    ]);
    expect(recorder.requests()).toHaveLength(3);
  });

  it('serves registered pages before the static directory', async () => {
    recorder.serve('/page.html', '<p>registered</p>');
    expect(await (await fetch(recorder.url('/page.html'))).text()).toBe('<p>registered</p>');
  });

  it('resolves waitForEvents once enough delivered events arrived, not counting rejected batches', async () => {
    recorder.respond({ status: 500 });
    const waiting = recorder.waitForEvents(2, { timeout: 2000 });
    await post(recorder, batch('x', 'y'));
    await post(recorder, batch('x'));
    await post(recorder, batch('y'));
    expect((await waiting).map((event) => event.id)).toEqual(['x', 'y']);
  });

  it('counts each id once in waitForEvents with distinct', async () => {
    const waiting = recorder.waitForEvents(2, { timeout: 300, distinct: true });
    await post(recorder, batch('x'));
    await post(recorder, batch('x'));
    await expect(waiting).rejects.toThrow(/2 delivered events/);
    await post(recorder, batch('y'));
    expect(await recorder.waitForEvents(2, { distinct: true })).toHaveLength(3);
  });

  it('rejects waitForEvents on timeout with what arrived', async () => {
    await post(recorder, batch('x'));
    await expect(recorder.waitForEvents(2, { timeout: 100 })).rejects.toThrow(/1 delivered events/);
  });

  it('settles once no request arrived for the quiet period', async () => {
    const started = Date.now();
    await post(recorder, batch('x'));
    await recorder.settle(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('forgets requests and scripted answers on reset', async () => {
    recorder.respond({ status: 503 });
    await post(recorder, batch('x'));
    recorder.respond({ status: 503 });
    recorder.reset();
    expect(recorder.requests()).toEqual([]);
    expect((await post(recorder, batch('y'))).status).toBe(200);
  });
});
