import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** One request the site served, with the time it arrived. */
export interface SiteRequest {
  path: string;
  at: number;
}

/** The test site: engagement fixture pages and an ES-module build of `@waymark/core` + `/engagement` with lazy chunks. */
export interface EngagementSite {
  origin: string;
  /** Path of the bundle chunk holding `web-vitals`. */
  webVitalsChunk: string;
  /** The same server as another site (`localhost`), where the fixture's outbound and partner links point. */
  otherOrigin: string;
  url(path: string): string;
  requests(): SiteRequest[];
  close(): Promise<void>;
}

/**
 * Bundles `fixtures/engagementEntry.ts` as a site's bundler would (ES modules, code splitting, minified, production),
 * so `web-vitals` is a separate chunk fetched only when `trackWebVitals` imports it.
 */
async function bundle(): Promise<{ files: Map<string, string>; webVitalsChunk: string }> {
  const result = await build({
    entryPoints: [join(fixtures, 'engagementEntry.ts')],
    absWorkingDir: repoRoot,
    bundle: true,
    splitting: true,
    format: 'esm',
    outdir: '/bundle',
    write: false,
    platform: 'browser',
    target: 'es2020',
    conditions: ['@waymark/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    metafile: true,
    logLevel: 'silent',
  });
  const chunk = Object.entries(result.metafile.outputs).find(([, output]) =>
    Object.keys(output.inputs).some((input) => input.includes('node_modules/web-vitals/')),
  );
  return {
    files: new Map(result.outputFiles.map((file) => [`/bundle/${basename(file.path)}`, file.text])),
    webVitalsChunk: chunk ? `/bundle/${basename(chunk[0])}` : '',
  };
}

/**
 * Serves the fixture pages under `/` and the bundle under `/bundle/` on 127.0.0.1. Unlike the shared recorder it
 * answers without `Cache-Control: no-store`, which would keep pages out of the back/forward cache.
 */
export async function startEngagementSite(): Promise<EngagementSite> {
  const { files, webVitalsChunk } = await bundle();
  const seen: SiteRequest[] = [];
  let otherOrigin = '';
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    seen.push({ path, at: Date.now() });
    const js = files.get(path);
    if (js) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(js);
      return;
    }
    if (/^\/engagement[\w-]*\.html$/.test(path)) {
      const body = await readFile(join(fixtures, path), 'utf8').catch(() => undefined);
      if (body) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
        // Links to "another site": the same server under another host name.
        res.end(body.replaceAll('__AWAY__', `${otherOrigin}/engagementAway.html`));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  otherOrigin = `http://localhost:${port}`;
  return {
    origin,
    otherOrigin,
    webVitalsChunk,
    url: (path) => new URL(path, origin).toString(),
    requests: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How `engagement.html` sets up its tracker and modules (read from its query string). */
export interface EngagementPageOptions {
  /** Module options by name; a module runs when its key is present. */
  modules: {
    engagedTime?: { idleAfter?: number; pingEvery?: number };
    scrollDepth?: Record<string, never>;
    sections?: { dayReadAfter?: number };
    history?: Record<string, never>;
    shares?: Record<string, never>;
    forms?: Record<string, never>;
    links?: { rules: { match: string; partner: string; productType: string }[] };
    webVitals?: Record<string, never>;
  };
  /** @default 600_000 (only page exit or flushAt sends) */
  flushInterval?: number;
}

/** Every module with its default options, for specs that run them all. */
export const allModules: EngagementPageOptions['modules'] = {
  engagedTime: {},
  scrollDepth: {},
  sections: {},
  history: {},
  shares: {},
  forms: {},
  links: { rules: [{ match: 'partner=booking', partner: 'booking', productType: 'hotel' }] },
  webVitals: {},
};

/** URL of `engagement.html` on `site`, sending to `collectorOrigin`. */
export function engagementPageUrl(site: EngagementSite, collectorOrigin: string, options: EngagementPageOptions): string {
  const url = new URL('/engagement.html', site.origin);
  url.searchParams.set('endpoint', collectorOrigin);
  url.searchParams.set('o', JSON.stringify(options));
  return url.toString();
}

/**
 * Opens `engagement.html` in a new page of `context` and resolves once the page has loaded and been idle, i.e. once the
 * engagement modules have started.
 */
export async function openEngagementPage(
  context: import('playwright-core').BrowserContext,
  site: EngagementSite,
  collectorOrigin: string,
  options: EngagementPageOptions,
): Promise<import('playwright-core').Page> {
  const page = await context.newPage();
  await page.goto(engagementPageUrl(site, collectorOrigin, options), { waitUntil: 'load' });
  await waitForModules(page);
  return page;
}

/** Resolves once the page's engagement modules have started (after load and an idle period). */
export async function waitForModules(page: import('playwright-core').Page): Promise<void> {
  await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
  await page.evaluate(() => new Promise<void>((resolve) => requestIdleCallback(() => setTimeout(resolve, 50), { timeout: 3000 })));
}
