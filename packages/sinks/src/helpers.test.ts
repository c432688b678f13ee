import { describe, expect, it, vi } from 'vitest';
import { batchingSink } from './batchingSink';
import { chunkEvents } from './chunkEvents';
import { allowsThirdParty, consentFilterSink } from './consentFilterSink';
import { deadLetterSink } from './deadLetterSink';
import { fanOutSink } from './fanOutSink';
import { isolateFailures } from './isolateFailures';
import { parseRetryAfter, retryingSink, withRetry } from './retryingSink';
import type { FailedEvent, Sink, SinkEvent } from './sink';
import { SinkError } from './sinkError';
import { makeEvent, makeEvents } from './testSupport';

/** A sink that records what it stores, keyed by id, like a real idempotent backend. */
function memorySink(name = 'memory'): Sink & { stored: Map<string, SinkEvent>; calls: SinkEvent[][] } {
  const stored = new Map<string, SinkEvent>();
  const calls: SinkEvent[][] = [];
  return {
    name,
    stored,
    calls,
    async write(events) {
      calls.push([...events]);
      for (const event of events) stored.set(event.id, event);
      return { written: events.length, skipped: 0, failed: [] };
    },
    async erase(subject) {
      let deleted = 0;
      for (const [id, event] of stored) {
        if (event.userId === subject.userId || event.anonymousId === subject.anonymousId) {
          stored.delete(id);
          deleted++;
        }
      }
      return { deleted };
    },
  };
}

describe('withRetry', () => {
  it('waits at least the Retry-After delay before the next attempt', async () => {
    const times: number[] = [];
    await withRetry(
      async () => {
        times.push(Date.now());
        if (times.length === 1) throw new SinkError('rate_limited', 'slow down', { retryAfterMs: 300 });
        return 'ok';
      },
      { baseDelayMs: 1, jitter: false },
    );
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(290);
  });

  it('does not retry a non-retryable error', async () => {
    const attempt = vi.fn(async () => {
      throw new SinkError('rejected', 'bad credentials');
    });
    await expect(withRetry(attempt, { baseDelayMs: 1 })).rejects.toThrow('[waymark] bad credentials');
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('gives up after the configured attempts with the last error', async () => {
    const attempt = vi.fn(async (n: number) => {
      throw new SinkError('unavailable', `down ${n}`);
    });
    await expect(withRetry(attempt, { attempts: 3, baseDelayMs: 1 })).rejects.toThrow('down 3');
    expect(attempt).toHaveBeenCalledTimes(3);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('retryingSink', () => {
  it('retries a rejected batch until it is stored once', async () => {
    const inner = memorySink();
    let failures = 2;
    const flaky: Sink = {
      name: 'flaky',
      write: async (events) => {
        if (failures-- > 0) throw new SinkError('unavailable', 'server down');
        return inner.write(events);
      },
    };
    const events = makeEvents(5);
    const result = await retryingSink(flaky, { baseDelayMs: 1 }).write(events);
    expect(result.written).toBe(5);
    expect(inner.stored.size).toBe(5);
  });
});

describe('batchingSink', () => {
  it('writes one batch once maxEvents are buffered and resolves every caller', async () => {
    const inner = memorySink();
    const sink = batchingSink(inner, { maxEvents: 4, maxWaitMs: 60_000 });
    const results = await Promise.all([sink.write(makeEvents(2)), sink.write(makeEvents(2, 2))]);
    expect(inner.calls.map((c) => c.length)).toEqual([4]);
    expect(results.map((r) => r.written)).toEqual([2, 2]);
  });

  it('writes a partial batch after maxWaitMs', async () => {
    const inner = memorySink();
    const sink = batchingSink(inner, { maxEvents: 100, maxWaitMs: 50 });
    const started = Date.now();
    await sink.write(makeEvents(3));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(inner.calls.map((c) => c.length)).toEqual([3]);
  });

  it('cuts batches at maxBytes', async () => {
    const inner = memorySink();
    const events = makeEvents(6);
    const one = JSON.stringify(events[0]).length;
    const sink = batchingSink(inner, { maxEvents: 100, maxBytes: one * 2 + 10, maxWaitMs: 60_000 });
    const pending = sink.write(events);
    await sink.flush!();
    await pending;
    expect(inner.calls.map((c) => c.length)).toEqual([2, 2, 2]);
  });

  it('reports per-event failures to the write that sent them', async () => {
    const bad = makeEvent(1);
    const inner: Sink = {
      name: 'picky',
      write: async (events) => ({
        written: events.length - 1,
        skipped: 0,
        failed: events.filter((e) => e === bad).map((event) => ({ event, reason: 'bad' })),
      }),
    };
    const sink = batchingSink(inner, { maxEvents: 3, maxWaitMs: 60_000 });
    const [a, b] = await Promise.all([sink.write([makeEvent(0), bad]), sink.write([makeEvent(2)])]);
    expect(a.failed.map((f) => f.event)).toEqual([bad]);
    expect(a.written).toBe(1);
    expect(b).toEqual({ written: 1, skipped: 0, failed: [] });
  });

  it('rejects the writes of a batch whose write rejected', async () => {
    const sink = batchingSink({ name: 'down', write: async () => Promise.reject(new SinkError('unavailable', 'down')) }, { maxEvents: 2 });
    await expect(sink.write(makeEvents(2))).rejects.toThrow('down');
  });

  it('drops the subject’s buffered events on erase', async () => {
    const inner = memorySink();
    const sink = batchingSink(inner, { maxEvents: 100, maxWaitMs: 60_000 });
    const events = [makeEvent(0, { anonymousId: 'gone' }), makeEvent(1, { anonymousId: 'kept' })];
    const pending = sink.write(events);
    await sink.erase!({ anonymousId: 'gone' });
    await sink.flush!();
    expect(await pending).toEqual({ written: 1, skipped: 1, failed: [] });
    expect([...inner.stored.values()].map((e) => e.anonymousId)).toEqual(['kept']);
  });
});

describe('deadLetterSink', () => {
  it('hands per-event failures and rejected batches to the dead letter', async () => {
    const dead: FailedEvent[] = [];
    const [bad, good] = makeEvents(2);
    const picky: Sink = {
      name: 'picky',
      write: async (events) => {
        if (events.length === 1) throw new SinkError('unavailable', 'gone away');
        return { written: 1, skipped: 0, failed: [{ event: bad, reason: 'bad value' }] };
      },
    };
    const sink = deadLetterSink(picky, { onDeadLetter: (failed) => void dead.push(...failed) });
    await sink.write([bad, good]);
    const result = await sink.write([good]);
    expect(result.failed).toHaveLength(1);
    expect(dead.map((d) => [d.event.id, d.reason, d.sink])).toEqual([
      [bad.id, 'bad value', 'picky'],
      [good.id, '[waymark] gone away', 'picky'],
    ]);
  });

  it('rejects when the dead letter itself fails, so nothing is lost silently', async () => {
    const sink = deadLetterSink(
      { name: 'down', write: async () => Promise.reject(new SinkError('unavailable', 'down')) },
      { onDeadLetter: () => Promise.reject(new Error('disk full')) },
    );
    await expect(sink.write(makeEvents(1))).rejects.toThrow('disk full');
  });
});

describe('fanOutSink', () => {
  it('writes to the healthy sinks when one rejects or hangs', async () => {
    const a = memorySink('a');
    const b = memorySink('b');
    const down: Sink = { name: 'down', write: () => Promise.reject(new SinkError('unavailable', 'refused')) };
    const hang: Sink = { name: 'hang', write: () => new Promise(() => undefined) };
    const sink = fanOutSink({ sinks: [a, down, hang, b], timeoutMs: 100 });
    const events = makeEvents(3);
    const result = await sink.write(events);
    expect(a.stored.size).toBe(3);
    expect(b.stored.size).toBe(3);
    expect(result.written).toBe(0);
    expect(new Set(result.failed.map((f) => f.sink))).toEqual(new Set(['down', 'hang']));
    expect(result.failed.filter((f) => f.sink === 'hang')[0].reason).toMatch(/timeoutMs/);
  });

  it('erases in every sink and reports the failures together', async () => {
    const a = memorySink('a');
    const broken: Sink = { name: 'broken', write: async () => ({ written: 0, skipped: 0, failed: [] }), erase: () => Promise.reject(new Error('no')) };
    await a.write([makeEvent(0, { userId: 'u1' })]);
    const sink = fanOutSink({ sinks: [a, broken] });
    await expect(sink.erase!({ userId: 'u1' })).rejects.toThrow('broken: no');
    expect(a.stored.size).toBe(0);
  });
});

describe('consentFilterSink', () => {
  it('keeps events without marketing consent or with GPC away from the wrapped sink', async () => {
    const inner = memorySink();
    const allowed = makeEvent(0);
    const noMarketing = makeEvent(1);
    noMarketing.context = { ...noMarketing.context, consent: { ...noMarketing.context.consent, marketing: false } };
    const gpc = makeEvent(2);
    gpc.context = { ...gpc.context, consent: { ...gpc.context.consent, gpc: true } };
    const result = await consentFilterSink(inner).write([allowed, noMarketing, gpc]);
    expect([...inner.stored.keys()]).toEqual([allowed.id]);
    expect(result).toEqual({ written: 1, skipped: 2, failed: [] });
    expect([allowed, noMarketing, gpc].map(allowsThirdParty)).toEqual([true, false, false]);
  });
});

describe('chunkEvents', () => {
  it('splits by count and by bytes, an oversize event alone', () => {
    expect(chunkEvents([1, 2, 3, 4, 5], { maxEvents: 2 }, () => 1)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunkEvents([3, 3, 9, 1], { maxEvents: 10, maxBytes: 6 }, (n) => n)).toEqual([[3, 3], [9], [1]]);
  });
});

describe('isolateFailures', () => {
  it('writes every good event and fails only the bad ones', async () => {
    const events = makeEvents(9);
    const stored: string[] = [];
    const result = await isolateFailures(
      events.map((event, i) => ({ event, bad: i === 2 || i === 7 })),
      {
        sink: 'test',
        isDataError: (e) => e instanceof TypeError,
        write: async (items) => {
          if (items.some((item) => item.bad)) throw new TypeError('bad row');
          stored.push(...items.map((item) => item.event.id));
        },
      },
    );
    expect(result.written).toBe(7);
    expect(result.failed.map((f) => f.event.id)).toEqual([events[2].id, events[7].id]);
    expect(result.failed[0].reason).toBe('[waymark] test: bad row');
    expect(stored.sort()).toEqual(events.filter((_, i) => i !== 2 && i !== 7).map((e) => e.id).sort());
  });
});
