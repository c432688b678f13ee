import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSink } from './fileSink';
import type { SinkEvent } from './sink';
import { SinkError } from './sinkError';
import { makeEvents } from './testSupport';

const root = mkdtempSync(join(tmpdir(), 'waymark-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `d${n++}`);

function readEvents(dir: string): { file: string; events: SinkEvent[] }[] {
  return readdirSync(dir)
    .sort()
    .map((file) => ({
      file,
      events: readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SinkEvent),
    }));
}

describe('fileSink', () => {
  it('appends one JSON envelope per line', async () => {
    const dir = newDir();
    const sink = fileSink({ dir });
    const events = makeEvents(3);
    expect(await sink.write(events)).toEqual({ written: 3, skipped: 0, failed: [] });
    await sink.close!();
    const files = readEvents(dir);
    expect(files).toHaveLength(1);
    expect(files[0].file).toMatch(/^events-\d{8}T\d{9}Z-0001\.ndjson$/);
    expect(files[0].events).toEqual(events);
  });

  it('starts a new file before one would exceed maxBytes', async () => {
    const dir = newDir();
    const events = makeEvents(10);
    const line = Buffer.byteLength(JSON.stringify(events[0])) + 1;
    const sink = fileSink({ dir, maxBytes: line * 4 + 10, fsync: false });
    for (let i = 0; i < 10; i += 2) await sink.write(events.slice(i, i + 2));
    await sink.close!();
    const files = readEvents(dir);
    expect(files.map((f) => f.events.length)).toEqual([4, 4, 2]);
    expect(files.flatMap((f) => f.events)).toEqual(events);
  });

  it('starts a new file on the first write after maxAgeMs', async () => {
    const dir = newDir();
    const sink = fileSink({ dir, maxAgeMs: 30, fsync: false });
    await sink.write(makeEvents(1));
    await sink.write(makeEvents(1, 1));
    await new Promise((r) => setTimeout(r, 40));
    await sink.write(makeEvents(1, 2));
    await sink.close!();
    expect(readEvents(dir).map((f) => f.events.length)).toEqual([2, 1]);
  });

  it('skips events it already wrote, also after a restart', async () => {
    const dir = newDir();
    const events = makeEvents(50);
    const first = fileSink({ dir });
    await first.write(events);
    await first.write(events.slice(0, 10));
    await first.close!();
    const second = fileSink({ dir });
    const fresh = makeEvents(5, 100);
    expect((await second.write([...events.slice(0, 20), ...fresh, ...fresh])).written).toBe(30);
    await second.close!();
    const all = readEvents(dir).flatMap((f) => f.events);
    expect(all).toHaveLength(55);
    expect(new Set(all.map((e) => e.id)).size).toBe(55);
  });

  it('remembers only the last dedupeWindow ids', async () => {
    const dir = newDir();
    const events = makeEvents(5);
    const sink = fileSink({ dir, dedupeWindow: 3, fsync: false });
    await sink.write(events);
    await sink.write([events[4], events[2], events[0]]);
    await sink.close!();
    expect(readEvents(dir).flatMap((f) => f.events).map((e) => e.id)).toEqual([...events, events[0]].map((e) => e.id));
  });

  it('erases a subject from every file', async () => {
    const dir = newDir();
    const events = makeEvents(40);
    const line = Buffer.byteLength(JSON.stringify(events[0])) + 1;
    const sink = fileSink({ dir, maxBytes: line * 15, fsync: false });
    for (let i = 0; i < 40; i += 10) await sink.write(events.slice(i, i + 10));
    const gone = events.filter((e) => e.userId === 'user-3' || e.anonymousId === 'anon-5');
    expect(await sink.erase!({ userId: 'user-3' })).toEqual({ deleted: events.filter((e) => e.userId === 'user-3').length });
    await sink.erase!({ anonymousId: 'anon-5' });
    const later = makeEvents(1, 500);
    await sink.write(later);
    await sink.close!();
    const left = readEvents(dir).flatMap((f) => f.events);
    expect(left.map((e) => e.id)).toEqual([...events.filter((e) => !gone.includes(e)), ...later].map((e) => e.id));
  });

  it('rejects with a retryable error when the folder cannot be written', async () => {
    const blocker = join(root, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const error = await fileSink({ dir: blocker }).write(makeEvents(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).retryable).toBe(true);
    expect((error as SinkError).message).toMatch(/^\[waymark\] fileSink: cannot write to .*not-a-dir/);
  });

  it('names a missing dir option', () => {
    expect(() => fileSink({} as never)).toThrow("[waymark] fileSink: option `dir` is required: fileSink({ dir: './events' })");
  });
});
