// Every published package: built output passes publint and attw, and imports cleanly in plain Node (SSR safety).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));

/** Public entry points of a package: `.` plus every subpath export with a source condition. */
const entryPoints = (pkg: { name: string; exports: Record<string, unknown> }) =>
  Object.keys(pkg.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

describe.each(packages)('$pkg.name', ({ dir, pkg }) => {
  it('has been built', () => {
    expect(existsSync(join(dir, 'dist')), `run "npm run build" first: ${dir}/dist is missing`).toBe(true);
  });

  it('passes publint', async () => {
    const { messages } = await publint({ pkgDir: dir, level: 'warning', strict: true });
    expect(messages).toEqual([]);
  });

  it('passes attw (types resolve for ESM and CJS consumers)', () => {
    const esmOnly = !Object.values(pkg.exports as Record<string, { require?: unknown }>).some((e) => e?.require);
    // node16 and esm-only profiles skip node10, which predates `exports` and cannot resolve subpaths.
    const result = spawnSync(
      join(root, 'node_modules/.bin/attw'),
      ['--pack', '.', '--format', 'table', '--no-color', '--profile', esmOnly ? 'esm-only' : 'node16'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
  }, 60_000);

  it.each(entryPoints(pkg))('imports %s in plain Node without a browser global', (specifier) => {
    const esm = node(['--input-type=module', '-e', `const m = await import(${JSON.stringify(specifier)}); if (!Object.keys(m).length) process.exit(3);`]);
    expect(esm.stderr).toBe('');
    expect(esm.status).toBe(0);
    if (pkg.exports[specifier === pkg.name ? '.' : `./${specifier.slice(pkg.name.length + 1)}`]?.require) {
      const cjs = node(['-e', `const m = require(${JSON.stringify(specifier)}); if (!Object.keys(m).length) process.exit(3);`]);
      expect(cjs.stderr).toBe('');
      expect(cjs.status).toBe(0);
    }
  });
});

describe('@waymark/core on the server', () => {
  it('creates a tracker during SSR that sends nothing and throws nothing', () => {
    const script = `
      const { createTracker } = await import('@waymark/core');
      let sent = 0;
      const t = createTracker({ endpoint: 'http://127.0.0.1:9', writeKey: 'wk', consent: 'granted',
        transport: { send: async () => { sent++; return { status: 200 }; } } });
      t.track('destination_viewed', { destination: { country: 'PT' } });
      t.page(); t.identify('u1'); t.setConsent({ analytics: true }); await t.flush(); t.reset(); t.destroy();
      console.log(JSON.stringify({ sent, stats: t.stats() }));`;
    const result = node(['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ sent: 0, stats: { delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 } });
  });
});
