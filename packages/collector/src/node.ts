import type { AddressInfo } from 'node:net';
import { serve as honoServe } from '@hono/node-server';
import type { Collector } from './createCollector';

export { runCollectorCli, collectorCommands } from './runCollectorCli';
export type { CollectorCliOptions } from './runCollectorCli';

/** Options of {@link serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one (read it from the result). @default 8787 */
  port?: number;
  /** Address to listen on. Put a TLS-terminating proxy in front for anything but loopback. @default '127.0.0.1' */
  hostname?: string;
}

/** A listening collector server. */
export interface CollectorServer {
  /** The port it listens on. */
  port: number;
  /** Stops listening, then closes the collector (committing what is in flight). */
  close(): Promise<void>;
}

/**
 * Serves a collector over Node's HTTP server once its store is open; the socket's remote address is passed as the
 * client IP (set `trustedProxy.ipHeader` behind a proxy).
 * @example
 * ```ts
 * const server = await serve(collector, { port: 8787 });
 * process.on('SIGTERM', () => server.close());
 * ```
 */
export async function serve(collector: Collector, { port = 8787, hostname = '127.0.0.1' }: ServeOptions = {}): Promise<CollectorServer> {
  await collector.ready();
  return new Promise((resolve, reject) => {
    const server = honoServe(
      {
        fetch: (request, env) => collector.fetch(request, { clientIp: 'incoming' in env ? env.incoming.socket.remoteAddress : undefined }),
        port,
        hostname,
      },
      (info: AddressInfo) => {
        server.off('error', reject);
        resolve({
          port: info.port,
          async close() {
            const closed = new Promise<void>((done) => server.close(() => done()));
            // Live streams never end by themselves: end them so the server can close.
            collector.closeStreams?.();
            await closed;
            await collector.close();
          },
        });
      },
    );
    server.once('error', reject);
  });
}
