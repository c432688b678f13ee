import { toEventRow } from '@waymark/sinks';
import type { SinkEvent } from '@waymark/sinks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toEventRows } from './toEventRows';
import { makeEnvelope } from './testSupport';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('toEventRows', () => {
  it('flattens events exactly as toEventRow does', () => {
    const shared = makeEnvelope().context;
    const events: SinkEvent[] = [
      { ...makeEnvelope(), receivedAt: '2026-03-01T10:00:00.000Z', country: 'PT' },
      { ...makeEnvelope({ context: shared }), receivedAt: '2026-03-01T10:00:00.000Z' },
      { ...makeEnvelope({ context: shared, userId: 'u-1', type: 'identify', name: 'user_identified', traits: { ageBand: '25-34' } }) },
      {
        ...makeEnvelope({
          timestamp: '2026-03-01T11:00:00+01:00',
          context: { ...shared, page: { url: '/a', path: '/a', route: '/[slug]' }, locale: 'pt-PT', campaign: { source: 'news', medium: 'email', name: 'spring' } },
        }),
        receivedAt: '2026-03-01T10:00:01.000Z',
      },
    ];
    expect(toEventRows(events)).toEqual(events.map(toEventRow));
  });

  it('serialises a context shared by several events once', () => {
    const context = makeEnvelope().context;
    const events = Array.from({ length: 10 }, () => makeEnvelope({ context }));
    const stringify = vi.spyOn(JSON, 'stringify');
    const rows = toEventRows(events);
    // One call per event for its properties, one for the shared context.
    expect(stringify).toHaveBeenCalledTimes(11);
    expect(new Set(rows.map((r) => r.context))).toEqual(new Set([JSON.stringify(context)]));
  });

  it('throws like toEventRow on a timestamp that is not a date', () => {
    const event = makeEnvelope({ timestamp: 'yesterday' });
    expect(() => toEventRow(event)).toThrow(TypeError);
    expect(() => toEventRows([makeEnvelope(), event])).toThrow('timestamp "yesterday" is not an ISO 8601 date');
  });
});
