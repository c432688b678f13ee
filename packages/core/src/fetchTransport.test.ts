import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchTransport } from './fetchTransport';

const url = 'https://collect.example.test/v1/batch?key=wk_public_123';
const body = '{"sentAt":"2026-03-01T10:00:00.000Z","events":[{"id":"evt_00000001","name":"post_viewed"}]}';

function mockFetch(...responses: Array<Response | Error>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init! });
    const next = responses.shift() ?? new Response(null, { status: 200 });
    if (next instanceof Error) throw next;
    return next;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('fetchTransport', () => {
  it('POSTs the body as CORS-safelisted text/plain with keepalive and no credentials', async () => {
    const { fetch, calls } = mockFetch(new Response(null, { status: 200 }));
    const result = await fetchTransport({ fetch }).send({ url, body, unloading: false });
    expect(result).toStrictEqual({ status: 200 });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe(url);
    expect(calls[0].init).toStrictEqual({
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body,
      credentials: 'omit',
      keepalive: true,
    });
    expect(new Request(url, calls[0].init).headers.get('content-type')).toBe('text/plain;charset=UTF-8');
  });

  it('uses the global fetch read at send time', async () => {
    const transport = fetchTransport();
    const { fetch, calls } = mockFetch(new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    expect(await transport.send({ url, body, unloading: true })).toStrictEqual({ status: 204 });
    expect(calls[0].init.body).toBe(body);
  });

  it('calls the given fetch without a this, as window.fetch requires', async () => {
    let self: unknown = 'not called';
    const fetch = function (this: unknown) {
      self = this;
      return Promise.resolve(new Response(null, { status: 200 }));
    } as unknown as typeof globalThis.fetch;
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: false })).toStrictEqual({ status: 200 });
    expect(self).toBeUndefined();
  });

  it.each([400, 413, 429, 500, 503])('resolves with status %i', async (status) => {
    const { fetch } = mockFetch(new Response('nope', { status }));
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: false })).toStrictEqual({ status });
  });

  it('resolves status 0 when fetch throws while unloading, without a second request', async () => {
    const { fetch, calls } = mockFetch(new TypeError('Failed to fetch'));
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: true })).toStrictEqual({ status: 0 });
    expect(calls).toHaveLength(1);
  });

  it('retries once without keepalive when the keepalive fetch throws and the page stays', async () => {
    const { fetch, calls } = mockFetch(new TypeError('Failed to fetch'), new Response(null, { status: 200 }));
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: false })).toStrictEqual({ status: 200 });
    expect(calls.map((call) => call.init.keepalive)).toEqual([true, false]);
    expect(calls[1].url).toBe(url);
    expect(calls[1].init.body).toBe(body);
  });

  it('resolves status 0 when both attempts throw', async () => {
    const { fetch, calls } = mockFetch(new TypeError('Failed to fetch'), new TypeError('Failed to fetch'));
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: false })).toStrictEqual({ status: 0 });
    expect(calls).toHaveLength(2);
  });

  it('resolves status 0 when there is no fetch at all', async () => {
    vi.stubGlobal('fetch', undefined);
    expect(await fetchTransport().send({ url, body, unloading: false })).toStrictEqual({ status: 0 });
  });

  it('reads Retry-After in delta-seconds', async () => {
    const { fetch } = mockFetch(new Response(null, { status: 429, headers: { 'Retry-After': '120' } }));
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: false })).toStrictEqual({
      status: 429,
      retryAfter: 120_000,
    });
  });

  it('reads Retry-After as an HTTP-date', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z'), toFake: ['Date'] });
    const headers = { 'Retry-After': 'Sun, 01 Mar 2026 10:01:30 GMT' };
    const { fetch } = mockFetch(new Response(null, { status: 503, headers }));
    expect(await fetchTransport({ fetch }).send({ url, body, unloading: false })).toStrictEqual({
      status: 503,
      retryAfter: 90_000,
    });
  });

  it('reads a past HTTP-date as no wait and ignores an unreadable Retry-After', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z'), toFake: ['Date'] });
    const { fetch } = mockFetch(
      new Response(null, { status: 503, headers: { 'Retry-After': 'Sat, 28 Feb 2026 10:00:00 GMT' } }),
      new Response(null, { status: 503, headers: { 'Retry-After': 'soon' } }),
    );
    const transport = fetchTransport({ fetch });
    expect(await transport.send({ url, body, unloading: false })).toStrictEqual({ status: 503, retryAfter: 0 });
    expect(await transport.send({ url, body, unloading: false })).toStrictEqual({ status: 503 });
  });
});
