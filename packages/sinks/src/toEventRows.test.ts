import { afterEach, describe, expect, it, vi } from 'vitest';
import { toEventRow, toEventRows } from './eventRow';
import type { SinkEvent } from './sink';
import { makeEvent } from './testSupport';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('toEventRows', () => {
  it('flattens events exactly as toEventRow does', () => {
    const shared = makeEvent(1).context;
    const events: SinkEvent[] = [
      makeEvent(0, { receivedAt: '2026-03-01T10:00:00.000Z', country: 'PT' }),
      makeEvent(1, { context: shared, receivedAt: '2026-03-01T10:00:00.000Z' }),
      makeEvent(2, { context: shared, userId: 'u-1', type: 'identify', name: 'user_identified', traits: { ageBand: '25-34' } }),
      makeEvent(3, {
        timestamp: '2026-03-01T11:00:00+01:00',
        context: { ...shared, page: { url: '/a', path: '/a', route: '/[slug]' }, locale: 'pt-PT', campaign: { source: 'news', medium: 'email', name: 'spring' } },
        receivedAt: '2026-03-01T10:00:01.000Z',
      }),
    ];
    expect(toEventRows(events)).toEqual(events.map(toEventRow));
  });

  it('serialises a context shared by several events once', () => {
    const { context } = makeEvent(0);
    const events = Array.from({ length: 10 }, (_, i) => makeEvent(i, { context }));
    const stringify = vi.spyOn(JSON, 'stringify');
    const rows = toEventRows(events);
    // One call per event for its properties, one for the shared context.
    expect(stringify).toHaveBeenCalledTimes(11);
    expect(new Set(rows.map((r) => r.context))).toEqual(new Set([JSON.stringify(context)]));
  });

  it('throws like toEventRow on a timestamp that is not a date, and on an event without an id', () => {
    const event = makeEvent(1, { timestamp: 'yesterday' });
    expect(() => toEventRow(event)).toThrow('timestamp "yesterday" is not an ISO 8601 date');
    expect(() => toEventRows([makeEvent(0), event])).toThrow('timestamp "yesterday" is not an ISO 8601 date');
    expect(() => toEventRows([makeEvent(0, { id: '' })])).toThrow('the event has no id');
  });
});
