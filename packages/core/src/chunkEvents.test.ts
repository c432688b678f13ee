import type { Envelope } from '@waymark/taxonomy';
import { describe, expect, it } from 'vitest';
import { chunkEvents } from './chunkEvents';

const sentAt = '2026-03-01T10:00:00.000Z';
const places = ['Zürich', 'São Paulo', 'Kraków', 'Reykjavík', '東京', 'Αθήνα', 'Montréal 🍁', 'Cusco 🦙🏔️'];
const bytes = (text: string) => new TextEncoder().encode(text).length;

let seq = 0;
function envelope(overrides: Partial<Envelope> = {}): Envelope {
  const n = ++seq;
  const city = places[n % places.length];
  return {
    id: `evt_${String(n).padStart(8, '0')}`,
    type: 'track',
    name: 'destination_viewed',
    properties: { destination: city, country: 'CH', note: `Trip note ${n}: ${city} ✈️ café`.repeat(1 + (n % 5)) },
    timestamp: '2026-03-01T09:59:58.123Z',
    anonymousId: 'anon_5f0c1e2d',
    sessionId: 'sess_20260301_a1',
    schema: 'travel@1',
    context: {
      page: { url: `https://blog.example.test/destinations/${n}`, path: `/destinations/${n}`, title: `${city} in 3 days` },
      locale: 'de-CH',
      timeZone: 'Europe/Zurich',
      screen: 'mobile',
      consent: { analytics: true, storage: true, marketing: false, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
    },
    ...overrides,
  };
}
const envelopes = (count: number) => Array.from({ length: count }, () => envelope());

describe('chunkEvents', () => {
  it('puts a few events in one batch body', () => {
    const events = envelopes(3);
    const { chunks, oversized } = chunkEvents(events, { sentAt });
    expect(oversized).toEqual([]);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].body).toBe(JSON.stringify({ sentAt, events }));
    expect(chunks[0].ids).toEqual(events.map((event) => event.id));
  });

  it('returns no chunks for no events', () => {
    expect(chunkEvents([], { sentAt })).toEqual({ chunks: [], oversized: [] });
  });

  it('keeps every body within maxBytes and every event once, in order', () => {
    const events = envelopes(400);
    const maxBytes = 8_000;
    const { chunks, oversized } = chunkEvents(events, { sentAt, maxBytes });
    expect(oversized).toEqual([]);
    expect(chunks.length).toBeGreaterThan(5);
    const sent = chunks.flatMap((chunk) => {
      const batch = JSON.parse(chunk.body) as { sentAt: string; events: Envelope[] };
      expect(bytes(chunk.body)).toBeLessThanOrEqual(maxBytes);
      expect(chunk.bytes).toBe(bytes(chunk.body));
      expect(batch.sentAt).toBe(sentAt);
      expect(batch.events.map((event) => event.id)).toEqual(chunk.ids);
      return batch.events;
    });
    expect(sent).toEqual(events);
  });

  it('counts multibyte characters as their UTF-8 bytes', () => {
    const wide = envelope({ properties: { caption: '🏔️東京Ωé'.repeat(300) } });
    const events = [1, 2, 3, 4].map((n) => ({ ...wide, id: `evt_wide_000${n}` }));
    // UTF-16 length would undercount these: 2 100 characters are 4 800 bytes.
    expect(bytes(JSON.stringify(events[0]))).toBeGreaterThan(JSON.stringify(events[0]).length + 2500);
    const maxBytes = bytes(JSON.stringify({ sentAt, events: events.slice(0, 2) }));
    const { chunks } = chunkEvents(events, { sentAt, maxBytes });
    expect(chunks.map((chunk) => chunk.ids.length)).toEqual([2, 2]);
    for (const chunk of chunks) expect(bytes(chunk.body)).toBeLessThanOrEqual(maxBytes);
  });

  it('fills a chunk up to exactly maxBytes', () => {
    const events = envelopes(3);
    const exact = bytes(JSON.stringify({ sentAt, events }));
    expect(chunkEvents(events, { sentAt, maxBytes: exact }).chunks).toHaveLength(1);
    expect(chunkEvents(events, { sentAt, maxBytes: exact - 1 }).chunks.map((chunk) => chunk.ids.length)).toEqual([
      2, 1,
    ]);
  });

  it('stays under the 40 000 byte default on realistic queues', () => {
    const events = [...envelopes(150), ...Array.from({ length: 6 }, () => envelope({ properties: { text: 'ü'.repeat(12_000) } }))];
    const { chunks, oversized } = chunkEvents(events, { sentAt });
    expect(oversized).toEqual([]);
    expect(chunks.some((chunk) => bytes(chunk.body) > 30_000)).toBe(true);
    for (const chunk of chunks) expect(bytes(chunk.body)).toBeLessThanOrEqual(40_000);
    expect(chunks.flatMap((chunk) => chunk.ids)).toEqual(events.map((event) => event.id));
  });

  it('puts at most maxEvents events in a chunk', () => {
    const events = envelopes(250);
    const maxBytes = 10_000_000;
    expect(chunkEvents(events, { sentAt, maxBytes }).chunks.map((chunk) => chunk.ids.length)).toEqual([100, 100, 50]);
    expect(chunkEvents(events.slice(0, 7), { sentAt, maxEvents: 3 }).chunks.map((chunk) => chunk.ids)).toEqual([
      events.slice(0, 3).map((event) => event.id),
      events.slice(3, 6).map((event) => event.id),
      [events[6].id],
    ]);
  });

  it('returns an event larger than maxBytes on its own separately and sends the rest', () => {
    const events = envelopes(5);
    const huge = envelope({ properties: { story: 'Überfahrt nach Åland 🚢 '.repeat(3000) } });
    const queue = [events[0], events[1], huge, events[2], events[3], events[4]];
    const { chunks, oversized } = chunkEvents(queue, { sentAt, maxEventBytes: 1_000_000 });
    expect(bytes(JSON.stringify(huge))).toBeGreaterThan(40_000);
    expect(oversized).toEqual([huge]);
    expect(chunks.flatMap((chunk) => chunk.ids)).toEqual(events.map((event) => event.id));
  });

  it('returns an event larger than 32 000 bytes separately and keeps the good events together', () => {
    const events = envelopes(4);
    const big = envelope({ properties: { story: 'x'.repeat(32_000) } });
    const { chunks, oversized } = chunkEvents([events[0], events[1], big, events[2], events[3]], { sentAt });
    expect(bytes(JSON.stringify(big))).toBeLessThan(40_000);
    expect(oversized).toEqual([big]);
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(chunks[0].body)).toEqual({ sentAt, events });
  });

  it('keeps an event of exactly maxEventBytes and sets aside one byte more', () => {
    const [event] = envelopes(1);
    const size = bytes(JSON.stringify(event));
    expect(chunkEvents([event], { sentAt, maxEventBytes: size }).oversized).toEqual([]);
    expect(chunkEvents([event], { sentAt, maxEventBytes: size - 1 }).oversized).toEqual([event]);
  });

  it('returns an event that cannot be serialised separately', () => {
    const events = envelopes(2);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const broken = envelope({ properties: cyclic });
    const { chunks, oversized } = chunkEvents([events[0], broken, events[1]], { sentAt });
    expect(oversized).toEqual([broken]);
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(chunks[0].body)).toEqual({ sentAt, events });
  });

  it('stamps the current time when no sentAt is given', () => {
    const before = Date.now();
    const { chunks } = chunkEvents(envelopes(1));
    const stamped = Date.parse((JSON.parse(chunks[0].body) as { sentAt: string }).sentAt);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });
});
