import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { ORIGIN, WRITE_KEY, batch, makeEnvelope, readStore, tempDir } from './testSupport';

const here = fileURLToPath(new URL('.', import.meta.url));
const temp = tempDir();
afterEach(() => temp.remove());

it('keeps every event whose request got a 2xx when the server is killed with SIGKILL under load', async () => {
  const path = join(temp.dir, 'crash.duckdb');
  const child = spawn(process.execPath, ['--conditions=@waymark/source', '--import', 'tsx', join(here, 'crashTestServer.ts'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };

  const acked = new Set<string>();
  let sent = 0;
  let killed = false;
  const worker = async () => {
    while (!killed) {
      const events = Array.from({ length: 5 }, () => makeEnvelope());
      sent += 1;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v1/batch?key=${WRITE_KEY}`, {
          method: 'POST',
          headers: { origin: ORIGIN, 'content-type': 'text/plain' },
          body: JSON.stringify(batch(events)),
        });
        if (response.status === 200) {
          const { results } = (await response.json()) as { results: { id: string; status: string }[] };
          for (const r of results) if (r.status === 'accepted' || r.status === 'duplicate') acked.add(r.id);
        }
      } catch {
        // The connection died with the server: this request got no 2xx.
      }
      // Kill once enough has been acknowledged, while the other workers' requests are in flight.
      if (acked.size >= 1500 && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const [code, signal] = await exited;
  expect(signal ?? code).toBe('SIGKILL');
  expect(sent).toBeGreaterThan(acked.size / 5);

  const { events } = await readStore(path);
  const stored = new Set(events.map((e) => e.id as string));
  const missing = [...acked].filter((id) => !stored.has(id));
  expect(missing).toEqual([]);
  expect(stored.size).toBeGreaterThanOrEqual(acked.size);
}, 60_000);
