import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SinkEvent } from '@waymark/sinks';
import { afterEach, expect, it } from 'vitest';
import { openDuckdbStore } from './duckdbStore';
import { createIdWindow, idFingerprint } from './idWindow';
import { makeEnvelope, tempDir } from './testSupport';

const temp = tempDir();
afterEach(() => temp.remove());

// With a primary key on `id`, DuckDB's index of it (about 100 bytes per row, held in memory) made commits fail at
// about 500 000 rows under a 64 MB memory limit. The store has no such index; dedupe holds only the window's ids.
it('commits 1.5 million events under a 64 MB memory limit, and finds their fingerprints after a reopen', async () => {
  const path = join(temp.dir, 'big.duckdb');
  const settings = { path, memoryLimit: '64MB', threads: 2 };
  const store = await openDuckdbStore(settings);
  const template = { ...makeEnvelope(), receivedAt: new Date().toISOString() } as SinkEvent;
  const window = createIdWindow(7 * 86_400_000);
  const total = 1_500_000;
  const batchSize = 50_000;
  const sample: string[] = [];
  try {
    for (let written = 0; written < total; written += batchSize) {
      const events: SinkEvent[] = Array.from({ length: batchSize }, () => ({ ...template, id: randomUUID() }));
      const result = await store.writeGroup(events, []);
      expect(result).toMatchObject({ written: batchSize, failed: [], failedKept: true });
      sample.push(events[0].id);
    }
  } finally {
    await store.close();
  }
  const reopened = await openDuckdbStore(settings);
  try {
    const since = Date.parse(template.receivedAt!) - 60_000;
    const loaded = await reopened.storedFingerprints(since, (hi, lo, at) => window.add({ hi, lo }, at));
    expect(loaded).toBe(total);
    expect(window.size).toBe(total);
    expect(sample.every((id) => window.mightHave(idFingerprint(id)))).toBe(true);
    // The fingerprints of the window take about 16 bytes an id.
    expect(window.bytes).toBeLessThan(total * 24);
    const unknown = randomUUID();
    expect(await reopened.existingIds([sample[3], sample[29], unknown], since)).toEqual(new Set([sample[3], sample[29]]));
    // And the store still takes writes.
    expect((await reopened.writeGroup([{ ...template, id: unknown }], [])).written).toBe(1);
  } finally {
    await reopened.close();
  }
}, 120_000);
