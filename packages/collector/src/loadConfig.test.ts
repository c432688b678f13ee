import { describe, expect, it } from 'vitest';
import { SinkError } from '@waymark/sinks';
import type { Sink } from '@waymark/sinks';
import { CliError, createSinks, loadConfig } from './loadConfig';
import type { ConfigIssue, LoadConfigInput, ServeConfig } from './loadConfig';

const KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const site = { id: 'blog', writeKey: 'wk_blog_public', origins: ['https://blog.example'] };

/** loadConfig over an in-memory file system: `files` maps absolute paths under /srv to their text. */
function load(options: { argv?: string[]; env?: LoadConfigInput['env']; files?: Record<string, unknown> }) {
  const files = options.files ?? {};
  return loadConfig({
    argv: options.argv ?? [],
    env: options.env ?? {},
    cwd: '/srv',
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      const content = files[path];
      return typeof content === 'string' ? content : JSON.stringify(content);
    },
  });
}

function config(result: ReturnType<typeof load>): ServeConfig {
  if (!result.ok) throw new Error(`expected a config, got ${JSON.stringify(result.issues)}`);
  return result.config;
}

function issues(result: ReturnType<typeof load>): ConfigIssue[] {
  if (result.ok) throw new Error('expected issues, got a config');
  return result.issues;
}

const valid = { '/srv/waymark.config.json': { sites: [site] } };

describe('loadConfig', () => {
  it('reads ./waymark.config.json with the defaults filled in', () => {
    const result = config(load({ files: valid, env: { WAYMARK_USER_ID_KEY: KEY } }));
    expect(result).toEqual({
      port: 8787,
      host: '127.0.0.1',
      configPath: '/srv/waymark.config.json',
      collector: { sites: [site], userIdKey: KEY, store: { path: '/srv/waymark.duckdb' } },
      sinks: [],
    });
  });

  it('lets flags override the environment, which overrides the file', () => {
    const files = { '/srv/conf/w.json': { sites: [site], port: 1000, host: '0.0.0.0', store: { path: 'data/w.duckdb' }, userIdKey: KEY } };
    const fileOnly = config(load({ argv: ['-c', 'conf/w.json'], files }));
    expect([fileOnly.port, fileOnly.host, fileOnly.collector.store.path]).toEqual([1000, '0.0.0.0', '/srv/conf/data/w.duckdb']);
    const env = { WAYMARK_CONFIG: 'conf/w.json', WAYMARK_PORT: '2000', WAYMARK_HOST: '::1', WAYMARK_STORE: 'env.duckdb' };
    const withEnv = config(load({ env, files }));
    expect([withEnv.port, withEnv.host, withEnv.collector.store.path]).toEqual([2000, '::1', '/srv/env.duckdb']);
    const withFlags = config(load({ argv: ['--port=3000', '--host', '127.0.0.2', '--store', '/data/flag.duckdb'], env, files }));
    expect([withFlags.port, withFlags.host, withFlags.collector.store.path]).toEqual([3000, '127.0.0.2', '/data/flag.duckdb']);
  });

  it('replaces ${NAME} in file strings with the environment variable', () => {
    const files = { '/srv/waymark.config.json': { sites: [site], sinks: [{ type: 'postgres', url: '${DATABASE_URL}', table: 'events' }] } };
    const result = config(load({ files, env: { WAYMARK_USER_ID_KEY: KEY, DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' } }));
    expect(result.sinks).toEqual([{ type: 'postgres', url: 'postgres://u:p@127.0.0.1:5432/db', table: 'events' }]);
  });

  it('names an unset ${NAME} without printing the file', () => {
    const files = { '/srv/waymark.config.json': { sites: [site], sinks: [{ type: 'http', url: '${HOOK_URL}' }] } };
    expect(issues(load({ files, env: { WAYMARK_USER_ID_KEY: KEY } }))).toContainEqual({
      where: 'waymark.config.json: sinks[0].url',
      message: expect.stringContaining('refers to ${HOOK_URL}, which is not set'),
    });
  });

  it('reports a missing userIdKey and a missing config file together', () => {
    expect(issues(load({}))).toEqual([
      { where: 'waymark.config.json', message: expect.stringContaining('not found in /srv: create it with your sites') },
      { where: 'WAYMARK_USER_ID_KEY', message: expect.stringContaining('is missing: set WAYMARK_USER_ID_KEY to 64 hex characters') },
    ]);
  });

  it('reports a --config path that does not exist', () => {
    expect(issues(load({ argv: ['--config', 'nope.json'], env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: '--config', message: expect.stringContaining('no file at /srv/nope.json') },
    ]);
  });

  it('reports invalid JSON with its line and column', () => {
    const files = { '/srv/waymark.config.json': '{\n  "sites": [],\n  "port": 1,\n}' };
    expect(issues(load({ files }))).toEqual([{ where: 'waymark.config.json', message: expect.stringMatching(/^is not valid JSON: .* at line 4, column 1$/) }]);
  });

  it('never echoes the file in a JSON error', () => {
    const files = { '/srv/waymark.config.json': '{ "userIdKey": "secret-value" ] }' };
    const [issue] = issues(load({ files }));
    expect(issue.message).toContain('is not valid JSON');
    expect(issue.message).not.toContain('secret-value');
  });

  it('rejects a userIdKey that is not 64 hex characters without printing it', () => {
    const found = issues(load({ files: valid, env: { WAYMARK_USER_ID_KEY: 'zz-not-hex' } }));
    expect(found).toEqual([{ where: 'WAYMARK_USER_ID_KEY', message: 'must be 64 hex characters (32 bytes): make one with `openssl rand -hex 32`' }]);
    expect(JSON.stringify(found)).not.toContain('zz-not-hex');
  });

  it('reports unknown keys with the nearest known key', () => {
    const files = { '/srv/waymark.config.json': { sites: [{ ...site, orgins: [] }], prot: 1 } };
    expect(issues(load({ files, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: sites[0].orgins', message: expect.stringMatching(/^unknown key; did you mean "origins"\? Remove it, or use one of: id, writeKey, origins/) },
      { where: 'waymark.config.json: prot', message: expect.stringMatching(/^unknown key; did you mean "port"\?/) },
    ]);
  });

  it('reports wrong types with their path', () => {
    const files = { '/srv/waymark.config.json': { sites: [{ ...site, origins: 'https://blog.example' }], bots: 'block', rateLimit: { perSecond: '10' }, limits: { maxDepth: 2.5 } } };
    expect(issues(load({ files, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: sites[0].origins', message: 'must be an array, got a string' },
      { where: 'waymark.config.json: bots', message: 'must be "flag" or "drop"' },
      { where: 'waymark.config.json: rateLimit.perSecond', message: 'must be a number, got a string' },
      { where: 'waymark.config.json: limits.maxDepth', message: 'must be a whole number of levels' },
    ]);
  });

  it('accepts rateLimit: false and reports a rateLimit of the wrong kind', () => {
    const ok = config(load({ files: { '/srv/waymark.config.json': { sites: [site], rateLimit: false } }, env: { WAYMARK_USER_ID_KEY: KEY } }));
    expect(ok.collector.rateLimit).toBe(false);
    const bad = issues(load({ files: { '/srv/waymark.config.json': { sites: [site], rateLimit: true } }, env: { WAYMARK_USER_ID_KEY: KEY } }));
    expect(bad).toEqual([{ where: 'waymark.config.json: rateLimit', message: 'must be false or an object, got a boolean' }]);
  });

  it('accepts read keys, a read rate limit and retention, and names each mistake in them', () => {
    const hash = `sha256:${'ab'.repeat(32)}`;
    const good = {
      sites: [site],
      readKeys: [{ name: 'ops', hash, role: 'admin' }, { name: 'ana', key: '${ANA_KEY}', role: 'creator', authorId: 'ana' }],
      readRateLimit: { perSecond: 2 },
      retention: { months: 13, intervalMs: 0 },
      store: { path: 'events.duckdb', memoryLimit: '1GB', threads: 2 },
    };
    const ok = config(load({ files: { '/srv/waymark.config.json': good }, env: { WAYMARK_USER_ID_KEY: KEY, ANA_KEY: 'k'.repeat(32) } }));
    expect(ok.collector.readKeys).toEqual([{ name: 'ops', hash, role: 'admin' }, { name: 'ana', key: 'k'.repeat(32), role: 'creator', authorId: 'ana' }]);
    expect(ok.collector.readRateLimit).toEqual({ perSecond: 2 });
    expect(ok.collector.retention).toEqual({ months: 13, intervalMs: 0 });
    expect(ok.collector.store).toMatchObject({ memoryLimit: '1GB', threads: 2 });
    const bad = {
      sites: [site],
      readKeys: [{ name: 'a', role: 'owner', hash }, { name: 'b', role: 'creator', key: 'k'.repeat(32) }, { name: 'c', role: 'admin' }],
      retention: { months: 0 },
      store: { path: 'events.duckdb', memoryLimit: 'lots' },
    };
    expect(issues(load({ files: { '/srv/waymark.config.json': bad }, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: store.memoryLimit', message: 'must be a size such as "512MB" or "2GB"' },
      { where: 'waymark.config.json: readKeys[0].role', message: 'must be "admin", "creator" or "marketing"' },
      { where: 'waymark.config.json: readKeys[1].authorId', message: 'a creator key needs "authorId"' },
      { where: 'waymark.config.json: readKeys[2]', message: 'give either "hash" or "key" (not both)' },
      { where: 'waymark.config.json: retention.months', message: 'must be above 0 months' },
    ]);
  });

  it('refuses a retention interval longer than a timer can wait, naming the maximum', () => {
    const file = (intervalMs: number) => ({ '/srv/waymark.config.json': { sites: [site], retention: { intervalMs } } });
    expect(config(load({ files: file(2_147_483_647), env: { WAYMARK_USER_ID_KEY: KEY } })).collector.retention).toEqual({ intervalMs: 2_147_483_647 });
    expect(issues(load({ files: file(2_147_483_648), env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: retention.intervalMs', message: 'must be at most 2147483647 ms (about 24.8 days), the longest a timer can wait' },
    ]);
  });

  it('refuses a commit window longer than a minute, saying why', () => {
    const file = (commitWindowMs: unknown) => ({ '/srv/waymark.config.json': { sites: [site], commitWindowMs } });
    expect(config(load({ files: file(60_000), env: { WAYMARK_USER_ID_KEY: KEY } })).collector.commitWindowMs).toBe(60_000);
    expect(issues(load({ files: file(86_400_000), env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: commitWindowMs', message: 'must be at most 60000 ms: every request waits up to that long before its commit' },
    ]);
  });

  it('reads the report rollups interval, or false, and names a bad one', () => {
    const file = (rollups: unknown) => ({ '/srv/waymark.config.json': { sites: [site], rollups } });
    expect(config(load({ files: file({ everySeconds: 300 }), env: { WAYMARK_USER_ID_KEY: KEY } })).rollups).toEqual({ everySeconds: 300 });
    expect(config(load({ files: file(false), env: { WAYMARK_USER_ID_KEY: KEY } })).rollups).toBe(false);
    expect(config(load({ files: valid, env: { WAYMARK_USER_ID_KEY: KEY } })).rollups).toBeUndefined();
    expect(issues(load({ files: file({ everySeconds: 0 }), env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: rollups.everySeconds', message: 'must be above 0 seconds' },
    ]);
    expect(config(load({ files: file({ everySeconds: 2_147_483 }), env: { WAYMARK_USER_ID_KEY: KEY } })).rollups).toEqual({ everySeconds: 2_147_483 });
    expect(issues(load({ files: file({ everySeconds: 2_147_484 }), env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: rollups.everySeconds', message: 'must be at most 2147483 seconds (about 24.8 days), the longest a timer can wait' },
    ]);
    expect(issues(load({ files: file({ everySecond: 5 }), env: { WAYMARK_USER_ID_KEY: KEY } }))[0]).toMatchObject({
      where: 'waymark.config.json: rollups.everySecond',
      message: expect.stringMatching(/did you mean "everySeconds"/),
    });
  });

  it('rejects an origin with a path, and duplicate site ids and write keys', () => {
    const files = { '/srv/waymark.config.json': { sites: [site, { ...site, origins: ['https://blog.example/'] }] } };
    expect(issues(load({ files, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: sites[1].origins[0]', message: expect.stringContaining('"https://blog.example/" is not an origin') },
    ]);
    const dupes = { '/srv/waymark.config.json': { sites: [site, site] } };
    expect(issues(load({ files: dupes, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: sites[1].id', message: expect.stringContaining('already the id of sites[0]') },
      { where: 'waymark.config.json: sites[1].writeKey', message: expect.stringContaining('same as sites[0].writeKey') },
    ]);
  });

  it('reports a port that is not a number or out of range, naming its flag or variable', () => {
    expect(issues(load({ argv: ['--port', 'eighty'], files: valid, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: '--port', message: 'must be a port number 0..65535, got "eighty"' },
    ]);
    expect(issues(load({ files: valid, env: { WAYMARK_USER_ID_KEY: KEY, WAYMARK_PORT: '70000' } }))).toEqual([
      { where: 'WAYMARK_PORT', message: 'must be 0..65535' },
    ]);
  });

  it('reports unknown flags, stray arguments and flags without a value', () => {
    expect(issues(load({ argv: ['--prot', '1', 'extra', '--verbose', '--store'], files: valid, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: '--prot', message: 'unknown flag; did you mean --port? Run `waymark serve --help` for the flags' },
      { where: 'extra', message: expect.stringContaining('takes no arguments') },
      { where: '--verbose', message: 'unknown flag. Run `waymark serve --help` for the flags' },
      { where: '--store', message: 'needs a value: --store <file>' },
    ]);
  });

  it('checks each sink against its type', () => {
    const files = {
      '/srv/waymark.config.json': {
        sites: [site],
        sinks: [
          { type: 'postgre', url: 'postgres://x' },
          { url: 'postgres://x' },
          { type: 'postgres', url: 'mysql://x', tabel: 'events' },
          { type: 'http', url: 'https://hooks.example/in', retry: { attempts: 0 } },
          { type: 'file', dir: 'events' },
        ],
      },
    };
    expect(issues(load({ files, env: { WAYMARK_USER_ID_KEY: KEY } }))).toEqual([
      { where: 'waymark.config.json: sinks[0].type', message: expect.stringContaining('"postgre" is not a sink type; use one of postgres, clickhouse, nats, http, file') },
      { where: 'waymark.config.json: sinks[1].type', message: expect.stringContaining('is missing: say which sink this is') },
      { where: 'waymark.config.json: sinks[3].retry.attempts', message: 'must be above 0 attempts' },
      { where: 'waymark.config.json: sinks[2].url', message: expect.stringContaining('must be a URL like "postgres://') },
      { where: 'waymark.config.json: sinks[2].tabel', message: expect.stringContaining('did you mean "table"') },
    ]);
  });

  it('resolves a file sink directory against the config file', () => {
    const files = { '/srv/conf/w.json': { sites: [site], sinks: [{ type: 'file', dir: 'events', retry: { attempts: 3 } }] } };
    expect(config(load({ argv: ['-c', 'conf/w.json'], files, env: { WAYMARK_USER_ID_KEY: KEY } })).sinks).toEqual([
      { type: 'file', dir: '/srv/conf/events', retry: { attempts: 3 } },
    ]);
  });
});

describe('createSinks', () => {
  const fake = (name: string): Sink => ({ name, write: async () => ({ written: 0, skipped: 0, failed: [] }) });

  it('builds only the sinks the config names, with their options', async () => {
    const loaded: unknown[] = [];
    const sinks = await createSinks([{ type: 'http', url: 'https://hooks.example/in' }], async (type, options) => {
      loaded.push([type, options]);
      return fake(type);
    });
    expect(loaded).toEqual([['http', { url: 'https://hooks.example/in' }]]);
    expect(sinks.map((s) => s.name)).toEqual(['http']);
  });

  it('names the npm install command when a driver is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg' imported from /app/node_modules/@waymark/sinks/dist/postgresSink.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const attempt = createSinks([{ type: 'postgres', url: 'postgres://127.0.0.1/db' }], async () => {
      throw missing;
    });
    await expect(attempt).rejects.toThrow(CliError);
    await expect(attempt).rejects.toMatchObject({
      exitCode: 1,
      message: '[waymark] sinks[0] (postgres): the package "pg" is not installed. Install the driver with: npm i pg pg-copy-streams',
    });
  });

  it('turns an option the factory refuses into a usage error', async () => {
    const attempt = createSinks([{ type: 'postgres', url: 'postgres://127.0.0.1/db', table: 'Bad-Name' }]);
    await expect(attempt).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^\[waymark\] sinks\[0\] \(postgres\): postgresSink: option `table`/) });
  });

  it('imports the sink module of the type', async () => {
    const [file, http] = await createSinks([
      { type: 'file', dir: '/tmp/waymark-never-written' },
      { type: 'http', url: 'http://127.0.0.1:9/in' },
    ]);
    expect([file.name, http.name]).toEqual(['file', 'http']);
  });

  it('retries a failed write when the sink has retry options', async () => {
    const flaky = (): Sink => {
      let calls = 0;
      return {
        name: 'flaky',
        write: async (events) => {
          calls += 1;
          if (calls === 1) throw new SinkError('unavailable', 'down for a moment');
          return { written: events.length, skipped: 0, failed: [] };
        },
      };
    };
    const [withRetry] = await createSinks([{ type: 'http', url: 'https://hooks.example/in', retry: { attempts: 2, baseDelayMs: 1 } }], async () => flaky());
    await expect(withRetry.write([{ id: 'e1' } as never])).resolves.toMatchObject({ written: 1 });
    const [without] = await createSinks([{ type: 'http', url: 'https://hooks.example/in' }], async () => flaky());
    await expect(without.write([{ id: 'e1' } as never])).rejects.toThrow('down for a moment');
  });
});
