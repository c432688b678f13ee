import { afterEach, describe, expect, it, vi } from 'vitest';
import { beaconTransport } from './beaconTransport';
import type { Transport } from './types';

const url = 'https://collect.example.test/v1/batch?key=wk_public_123';
const body = '{"sentAt":"2026-03-01T10:00:00.000Z","events":[{"id":"evt_00000001","properties":{"city":"Zürich 🏔"}}]}';

function stubBeacon(result: boolean | Error) {
  const beacons: Array<{ url: string; data: Blob }> = [];
  const sendBeacon = vi.fn((beaconUrl: string, data: Blob) => {
    beacons.push({ url: beaconUrl, data });
    if (result instanceof Error) throw result;
    return result;
  });
  Object.defineProperty(navigator, 'sendBeacon', { value: sendBeacon, configurable: true, writable: true });
  return beacons;
}

afterEach(() => {
  delete (navigator as { sendBeacon?: unknown }).sendBeacon;
  vi.unstubAllGlobals();
});

describe('beaconTransport', () => {
  it('queues the body as a text/plain Blob and resolves 202', async () => {
    const beacons = stubBeacon(true);
    expect(await beaconTransport().send({ url, body, unloading: true })).toStrictEqual({ status: 202 });
    expect(beacons).toHaveLength(1);
    expect(beacons[0].url).toBe(url);
    expect(beacons[0].data).toBeInstanceOf(Blob);
    // Blob lowercases its type; the essence text/plain is what keeps the request CORS-safelisted.
    expect(beacons[0].data.type).toBe('text/plain;charset=utf-8');
    expect(await beacons[0].data.text()).toBe(body);
    expect(beacons[0].data.size).toBe(new TextEncoder().encode(body).length);
  });

  it('resolves status 0 when the browser refuses the beacon', async () => {
    stubBeacon(false);
    expect(await beaconTransport().send({ url, body, unloading: true })).toStrictEqual({ status: 0 });
  });

  it('resolves status 0 when sendBeacon throws', async () => {
    stubBeacon(new TypeError('Invalid URL'));
    expect(await beaconTransport().send({ url: 'not a url', body, unloading: true })).toStrictEqual({ status: 0 });
  });

  it('delegates to the fallback transport when sendBeacon is missing', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const requests: unknown[] = [];
    const fallback: Transport = {
      async send(request) {
        requests.push(request);
        return { status: 200, retryAfter: 5000 };
      },
    };
    const request = { url, body, unloading: false };
    expect(await beaconTransport({ fallback }).send(request)).toStrictEqual({ status: 200, retryAfter: 5000 });
    expect(requests).toEqual([request]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('falls back to a keepalive fetch when no fallback is given', async () => {
    expect('sendBeacon' in navigator).toBe(false);
    const fetch = vi.fn(async () => new Response(null, { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    expect(await beaconTransport().send({ url, body, unloading: true })).toStrictEqual({ status: 200 });
    expect(fetch).toHaveBeenCalledWith(url, expect.objectContaining({ method: 'POST', body, keepalive: true }));
  });
});
