import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Which `process.env.NODE_ENV` the bundle is built for. */
export type BundleMode = 'production' | 'development';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const corePackageJson = fileURLToPath(new URL('../../packages/core/package.json', import.meta.url));

const cache = new Map<BundleMode, Promise<string>>();

/**
 * The import specifiers of every public entry point of `@waymark/core` (`@waymark/core`, `@waymark/core/offline`, ...),
 * read from its `exports` map so the bundle follows the package as it changes.
 */
export function coreEntryPoints(): string[] {
  const { name, exports } = JSON.parse(readFileSync(corePackageJson, 'utf8')) as {
    name: string;
    exports: Record<string, unknown>;
  };
  return Object.keys(exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`));
}

/**
 * Bundles every public entry point of `@waymark/core` from source into one IIFE that sets `window.Waymark` to their
 * exports, as a site's bundler would see them. Workspaces resolve through the `@waymark/source` condition, so no build
 * is needed first. Production bundles are minified like a user's build; development ones keep dev checks and a source
 * map. The result is cached per mode for the life of the process.
 *
 * @example
 * const js = await buildCoreBundle('production');
 */
export function buildCoreBundle(mode: BundleMode = 'production'): Promise<string> {
  let pending = cache.get(mode);
  if (!pending) {
    pending = bundle(mode);
    cache.set(mode, pending);
    pending.catch(() => cache.delete(mode));
  }
  return pending;
}

async function bundle(mode: BundleMode): Promise<string> {
  const result = await build({
    stdin: {
      contents: coreEntryPoints()
        .map((specifier) => `export * from ${JSON.stringify(specifier)};`)
        .join('\n'),
      resolveDir: repoRoot,
      sourcefile: 'waymark-e2e-entry.js',
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'Waymark',
    platform: 'browser',
    target: 'es2020',
    conditions: ['@waymark/source'],
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    minify: mode === 'production',
    sourcemap: mode === 'development' ? 'inline' : false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
