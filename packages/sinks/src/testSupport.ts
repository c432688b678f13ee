// Shared by the sink tests and the bench; not part of the package's public surface.
import { randomUUID } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { SinkEvent } from './sink';

/** Builds a valid envelope; `n` varies the user so erase tests have several subjects. */
export function makeEvent(n: number, overrides: Partial<SinkEvent> = {}): SinkEvent {
  return {
    id: randomUUID(),
    type: 'track',
    name: 'post_viewed',
    properties: { postId: `post-${n % 50}`, words: 1200 + (n % 7), tags: ['lisbon', 'food'] },
    timestamp: new Date(Date.UTC(2025, 4, 1, 12, 0, 0) + n * 1000).toISOString(),
    anonymousId: `anon-${n % 10}`,
    userId: n % 3 === 0 ? `user-${n % 10}` : undefined,
    sessionId: `sess-${n % 20}`,
    schema: 'travel@1',
    context: {
      page: { url: `https://blog.example/posts/${n % 50}`, path: `/posts/${n % 50}`, route: '/posts/[slug]', referrer: 'news.example' },
      locale: 'en-GB',
      timeZone: 'Europe/Lisbon',
      screen: 'desktop',
      campaign: { source: 'newsletter', medium: 'email', name: 'spring' },
      consent: { analytics: true, storage: true, marketing: true, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
    },
    ...overrides,
  };
}

/** `count` events numbered from `from`. */
export function makeEvents(count: number, from = 0): SinkEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(from + i));
}

/** Whether a TCP port answers on loopback. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Host and port of a URL such as `postgres://u:p@127.0.0.1:5432/db` or `http://127.0.0.1:8123`. */
export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port) || defaultPort };
}

/** A TCP proxy on loopback that a test cuts (every connection reset, new ones refused) and restores. */
export interface CutProxy {
  port: number;
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link CutProxy} in front of `target`. */
export async function startCutProxy(target: { host: string; port: number }): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.resetAndDestroy?.() ?? socket.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { port, cut: stop, restore: listen, close: stop };
}

/** Resolves once `condition()` is true, checking every 2 ms. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** A unique lower-case name for a test's own table, stream or database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** One request a {@link RecordingServer} received. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What a recording server's handler answers. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A loopback HTTP server that records every request and answers with `handler`'s response. */
export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a {@link RecordingServer}. */
export async function startRecordingServer(
  handler: (request: RecordedRequest, index: number) => ScriptedResponse | Promise<ScriptedResponse> = () => ({}),
): Promise<RecordingServer> {
  const { createServer: createHttpServer } = await import('node:http');
  const requests: RecordedRequest[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const answer = await handler(request, requests.length - 1);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
