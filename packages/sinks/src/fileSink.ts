import { mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { matchesSubject, subjectIds } from './eventRow';
import type { FailedEvent, Sink, SinkEvent, Subject } from './sink';
import { invalidOption, SinkError } from './sinkError';
import { messageOf, writeResult } from './writeResult';

/** Options of {@link fileSink}. */
export interface FileSinkOptions {
  /** Folder the NDJSON files are written to; created if missing. */
  dir: string;
  /** File name prefix: files are `<prefix>-<UTC time>-<n>.ndjson`. @default 'events' */
  prefix?: string;
  /** Start a new file before the current one would exceed this size, in bytes. @default 67108864 (64 MiB) */
  maxBytes?: number;
  /** Start a new file on the first write after the current one is this old, in ms. @default 3600000 (1 h) */
  maxAgeMs?: number;
  /** Flush each write to disk (`fsync`) before `write` resolves, so an acknowledged event survives a power cut. @default true */
  fsync?: boolean;
  /**
   * How many recent event ids the sink remembers to skip duplicates (a retried batch). On start it reads them
   * back from the newest files, so a retry after a restart is caught too. @default 100000
   */
  dedupeWindow?: number;
}

function firstKey(value: object): string | undefined {
  for (const key in value) return key;
  return undefined;
}

function idFirstJson(event: SinkEvent): string {
  const { id, ...rest } = event;
  return JSON.stringify({ id, ...rest });
}

const idPattern = /^\{"id":"((?:[^"\\]|\\.)*)"/;

/**
 * Appends events as NDJSON (one JSON envelope per line, in arrival order) to size- and time-rotated files:
 * the simplest durable target, readable by `jq`, DuckDB's `read_json` and every log shipper.
 * Idempotent within the last `dedupeWindow` event ids. `erase` rewrites the files without the subject's lines.
 * @example
 * ```ts
 * import { fileSink } from '@waymark/sinks/file';
 * const sink = fileSink({ dir: './events' });
 * await sink.write(events);
 * ```
 */
export function fileSink(options: FileSinkOptions): Sink {
  const name = 'file';
  if (!options || typeof options.dir !== 'string' || options.dir === '') invalidOption('fileSink', 'dir', "is required: fileSink({ dir: './events' })");
  const { dir, prefix = 'events', maxBytes = 67_108_864, maxAgeMs = 3_600_000, fsync = true, dedupeWindow = 100_000 } = options;
  if (!/^[\w.-]+$/.test(prefix)) invalidOption('fileSink', 'prefix', `must be letters, digits, "_", "." or "-", got ${JSON.stringify(prefix)}`);
  if (!(maxBytes > 0)) invalidOption('fileSink', 'maxBytes', `must be a positive number of bytes, got ${maxBytes}`);

  const seen = new Set<string>();
  let handle: FileHandle | undefined;
  let size = 0;
  let openedAt = 0;
  let counter = 0;
  let ready: Promise<void> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  const isOurs = (file: string) => file.startsWith(`${prefix}-`) && file.endsWith('.ndjson');
  const listFiles = async () => (await readdir(dir)).filter(isOurs).sort();

  // A ring of the last `dedupeWindow` ids: evicting the oldest from a Set's front degrades as tombstones pile up.
  const ring: string[] = [];
  let next = 0;
  function remember(id: string) {
    if (dedupeWindow <= 0 || seen.has(id)) return;
    if (ring.length < dedupeWindow) ring.push(id);
    else {
      seen.delete(ring[next]);
      ring[next] = id;
      next = (next + 1) % dedupeWindow;
    }
    seen.add(id);
  }

  async function init() {
    await mkdir(dir, { recursive: true });
    if (dedupeWindow <= 0) return;
    const ids: string[] = [];
    for (const file of (await listFiles()).reverse()) {
      const lines = (await readFile(join(dir, file), 'utf8')).split('\n');
      for (let i = lines.length - 1; i >= 0 && ids.length < dedupeWindow; i--) {
        const match = idPattern.exec(lines[i]);
        if (match) ids.push(JSON.parse(`"${match[1]}"`) as string);
      }
      if (ids.length >= dedupeWindow) break;
    }
    for (let i = ids.length - 1; i >= 0; i--) remember(ids[i]);
  }

  async function rotate() {
    await handle?.close();
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    handle = await open(join(dir, `${prefix}-${stamp}-${String(++counter).padStart(4, '0')}.ndjson`), 'a');
    size = 0;
    openedAt = Date.now();
  }

  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(async () => {
      try {
        ready ??= init().catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        return await task();
      } catch (error) {
        if (error instanceof SinkError) throw error;
        throw new SinkError('unavailable', `fileSink: cannot write to ${dir}: ${messageOf(error)}`, { cause: error });
      }
    });
    chain = run.catch(() => undefined);
    return run;
  }

  async function append(events: readonly SinkEvent[]) {
    const failed: FailedEvent[] = [];
    const lines: string[] = [];
    const ids: string[] = [];
    const batch = new Set<string>();
    for (const event of events) {
      if (seen.has(event.id) || batch.has(event.id)) continue;
      let line: string;
      try {
        // id first, so the dedupe window can be read back without parsing whole lines.
        line = firstKey(event) === 'id' ? JSON.stringify(event) : idFirstJson(event);
      } catch (error) {
        failed.push({ event, reason: `[waymark] fileSink: cannot serialise the event: ${messageOf(error)}` });
        continue;
      }
      batch.add(event.id);
      lines.push(line);
      ids.push(event.id);
    }
    if (lines.length > 0) {
      const data = Buffer.from(`${lines.join('\n')}\n`);
      if (!handle || (size > 0 && size + data.length > maxBytes) || Date.now() - openedAt >= maxAgeMs) await rotate();
      const before = size;
      try {
        await handle!.write(data);
        if (fsync) await handle!.sync();
      } catch (error) {
        // Cut a partial append, so the retry does not leave half a batch twice.
        await handle!.truncate(before).catch(() => undefined);
        throw new SinkError('unavailable', `fileSink: cannot write to ${dir}: ${messageOf(error)}`, { cause: error });
      }
      size += data.length;
      for (const id of ids) remember(id);
    }
    return writeResult(events.length - failed.length, failed);
  }

  return {
    name,
    write(events) {
      if (closed) return Promise.reject(new SinkError('rejected', 'fileSink: write() after close()'));
      if (events.length === 0) return Promise.resolve(writeResult(0));
      return serial(() => append(events));
    },
    flush() {
      return serial(async () => {
        await handle?.sync();
      });
    },
    close() {
      closed = true;
      return serial(async () => {
        await handle?.sync();
        await handle?.close();
        handle = undefined;
      });
    },
    erase(subject: Subject) {
      const ids = subjectIds('fileSink', subject);
      return serial(async () => {
        await handle?.close();
        handle = undefined;
        let deleted = 0;
        for (const file of await listFiles()) {
          const path = join(dir, file);
          const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
          const kept = lines.filter((line) => !matchesSubject(JSON.parse(line) as SinkEvent, ids));
          if (kept.length === lines.length) continue;
          deleted += lines.length - kept.length;
          await writeFile(`${path}.tmp`, kept.length ? `${kept.join('\n')}\n` : '', { flush: true });
          await rename(`${path}.tmp`, path);
        }
        return { deleted };
      });
    },
  };
}
