import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memorySink } from '../examples/memorySink';
import { deadLetterSink } from './deadLetterSink';
import { retryingSink } from './retryingSink';
import type { FailedEvent } from './sink';
import { makeEvent, makeEvents } from './testSupport';

const guide = readFileSync(new URL('../../../docs/guides/writing-a-sink.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../examples/memorySink.ts', import.meta.url), 'utf8');

describe('the writing-a-sink guide', () => {
  it('shows the example file exactly as it is tested', () => {
    const block = /```ts file=packages\/sinks\/examples\/memorySink\.ts\n([\s\S]*?)```\n\n## /.exec(guide);
    expect(block?.[1]).toBe(example);
  });

  it('keeps the Sink contract: idempotent, per-event failures, retryable outage, erase', async () => {
    const sink = memorySink({ maxEventBytes: 2000 });
    const events = makeEvents(20);
    const huge = makeEvent(99, { properties: { blob: 'x'.repeat(3000) } });
    const dead: FailedEvent[] = [];
    const delivered = deadLetterSink(retryingSink(sink, { baseDelayMs: 20, attempts: 20 }), { onDeadLetter: (f) => void dead.push(...f) });

    sink.offline = true;
    setTimeout(() => (sink.offline = false), 100);
    const result = await delivered.write([...events, huge, ...events.slice(0, 5)]);

    expect(result.written).toBe(25);
    expect(sink.events.size).toBe(20);
    expect(dead.map((d) => d.event)).toEqual([huge]);
    const gone = events.filter((e) => e.anonymousId === 'anon-1').length;
    expect(await sink.erase!({ anonymousId: 'anon-1' })).toEqual({ deleted: gone });
    expect(sink.events.size).toBe(20 - gone);
  });
});
