import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ORIGIN, USER_ID_KEY, WRITE_KEY, batch, makeEnvelope, tempDir } from './testSupport';

const cli = fileURLToPath(new URL('cli.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let temp: ReturnType<typeof tempDir>;
beforeEach(() => {
  temp = tempDir();
});
afterEach(() => temp.remove());

/** Runs `waymark <args>` from source in the temp folder. */
function waymark(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=@waymark/source', '--import', tsx, cli, ...args], {
    cwd: temp.dir,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

function writeConfig(config: unknown): void {
  writeFileSync(join(temp.dir, 'waymark.config.json'), JSON.stringify(config));
}

it('serves batches from a config file, forwards them to its sinks and closes the store on SIGTERM', async () => {
  writeConfig({
    sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
    store: { path: './store.duckdb' },
    rateLimit: false,
    sinks: [{ type: 'file', dir: './forwarded', fsync: false }],
  });
  const run = waymark(['serve', '--port', '0'], { WAYMARK_USER_ID_KEY: USER_ID_KEY });
  const [line] = (await once(createInterface({ input: run.child.stdout! }), 'line')) as [string];
  const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
  expect(port).toBeGreaterThan(0);

  const events = Array.from({ length: 3 }, () => makeEnvelope());
  const response = await fetch(`http://127.0.0.1:${port}/v1/batch?key=${WRITE_KEY}`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'text/plain' },
    body: JSON.stringify(batch(events)),
  });
  expect(response.status).toBe(200);
  const { results } = (await response.json()) as { results: { status: string }[] };
  expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);

  run.child.kill('SIGTERM');
  const [code] = await run.exited;
  expect(code).toBe(0);
  expect(run.output().stderr).toContain('[waymark] stopped');

  // Opening read-write succeeds only when no lock is left behind.
  const instance = await DuckDBInstance.create(join(temp.dir, 'store.duckdb'));
  const connection = await instance.connect();
  const rows = (await connection.runAndReadAll('SELECT id FROM waymark_events ORDER BY id')).getRowObjects();
  expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id).sort());
  connection.closeSync();
  instance.closeSync();

  // The file sink of the config got the same events, written before the process stopped.
  const forwarded = readdirSync(join(temp.dir, 'forwarded')).flatMap((file) =>
    readFileSync(join(temp.dir, 'forwarded', file), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line).id as string),
  );
  expect(forwarded.sort()).toEqual(events.map((e) => e.id).sort());
}, 60_000);

it('exits 2 and lists every mistake without a stack trace', async () => {
  writeConfig({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: ['https://blog.example/'] }], prot: 1 });
  const run = waymark(['serve', '--stroe', 'x.duckdb'], { WAYMARK_USER_ID_KEY: 'not-a-key' });
  const [code] = await run.exited;
  const { stderr } = run.output();
  expect(code).toBe(2);
  expect(stderr).toContain('[waymark] serve: 4 problems to fix:');
  expect(stderr).toContain('--stroe: unknown flag; did you mean --store?');
  expect(stderr).toContain('WAYMARK_USER_ID_KEY: must be 64 hex characters');
  expect(stderr).toContain('waymark.config.json: sites[0].origins[0]: "https://blog.example/" is not an origin');
  expect(stderr).toContain('waymark.config.json: prot: unknown key; did you mean "port"?');
  expect(stderr).not.toMatch(/\n\s+at /);
}, 30_000);

it('exits 1 naming --port when the port is in use, and leaves the store reopenable', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as { port: number };
  try {
    writeConfig({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }] });
    const run = waymark(['serve', '--port', String(port)], { WAYMARK_USER_ID_KEY: USER_ID_KEY });
    const [code] = await run.exited;
    expect(code).toBe(1);
    expect(run.output().stderr).toContain(
      `[waymark] port ${port} on 127.0.0.1 is already in use: stop the process using it, or pick another port with --port <port> (or WAYMARK_PORT)`,
    );
    const instance = await DuckDBInstance.create(join(temp.dir, 'waymark.duckdb'));
    instance.closeSync();
  } finally {
    blocker.close();
  }
}, 30_000);

it('prints the serve help with exit 0 and an unknown command with exit 2', async () => {
  const help = waymark(['serve', '--help']);
  expect((await help.exited)[0]).toBe(0);
  expect(help.output().stdout).toContain('Usage: waymark-collector serve [flags]');
  // Only `waymark serve` of @waymark/report refreshes report rollups.
  expect(help.output().stdout).not.toContain('rollups');
  const unknown = waymark(['reprot']);
  expect((await unknown.exited)[0]).toBe(2);
  expect(unknown.output().stderr).toContain('[waymark] unknown command "reprot": use one of serve (waymark-collector --help)');
}, 30_000);

it('runs in-process through runCollectorCli and returns the exit code', async () => {
  const { runCollectorCli } = await import('./node');
  const errors: unknown[][] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    expect(await runCollectorCli(['serve', '--nope'], { name: 'waymark' })).toBe(2);
  } finally {
    console.error = error;
  }
  expect(errors.map((line) => line.join(' ')).join('\n')).toContain('Run `waymark serve --help` for the flags');
});
