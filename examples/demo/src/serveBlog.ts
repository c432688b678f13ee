import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { extname, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Options of {@link serveBlog}. */
export interface ServeBlogOptions {
  /** The blog's production build: a folder with index.html and assets/. */
  dir: string;
  /** The collector's origin, written into index.html's `waymark-endpoint` meta tag. */
  endpoint: string;
  /** The HTML report, served at `/report.html`. */
  reportPath: string;
  host: string;
  port: number;
}

/** The running blog server. */
export interface BlogServer {
  origin: string;
  close(): Promise<void>;
}

/** Listens on `port`, or rejects with the `EADDRINUSE` error. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/**
 * Serves the blog's build with history fallback (every route without a file extension is index.html; the app's router
 * renders the page), the affiliate partners' stand-in pages, and the demo's HTML report.
 */
export async function serveBlog(options: ServeBlogOptions): Promise<BlogServer> {
  const dist = pathToFileURL(`${options.dir.replace(/\/?$/, '/')}`);
  const indexHtml = (await readFile(new URL('index.html', dist), 'utf8')).replace(
    '<meta name="waymark-endpoint" content="" />',
    `<meta name="waymark-endpoint" content="${options.endpoint}" />`,
  );
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://blog.invalid');
    try {
      if (pathname === '/report.html') {
        const report = await readFile(options.reportPath);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(report);
      } else if (pathname.startsWith('/partner/')) {
        const partner = pathname.slice('/partner/'.length).replace(/[^a-z0-9-]/gi, '');
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<h1>${partner}: partner site</h1>`);
      } else if (extname(pathname)) {
        const file = new URL(`.${normalize(decodeURIComponent(pathname))}`, dist);
        if (!file.pathname.startsWith(dist.pathname)) return void response.writeHead(404).end();
        const body = await readFile(file);
        response.writeHead(200, { 'content-type': contentTypes[extname(pathname)] ?? 'application/octet-stream' }).end(body);
      } else {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(indexHtml);
      }
    } catch {
      if (!response.headersSent) response.writeHead(404).end();
    }
  });
  const port = await listen(server, options.port, options.host);
  return {
    origin: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
