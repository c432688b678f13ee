import type { RegisteredEvents } from '@waymark/taxonomy';

/** What {@link collectorRoute} needs of a collector: `createCollector()` from `@waymark/collector` fits. */
export interface FetchHandler {
  fetch(request: Request, info?: { clientIp?: string }): Response | Promise<Response>;
}

/** A Next.js route handler. */
export type RouteHandler = (request: Request) => Promise<Response>;

/**
 * Mounts the collector under the app's own origin, so blockers of third-party analytics hosts do not drop events.
 * Whatever comes before `/v1/` in the path is the mount point: in `app/wm/[...path]/route.ts`, point the tracker at
 * `endpoint: '/wm'` and the read API answers at `/wm/v1/events` too.
 *
 * @example
 * // app/wm/[...path]/route.ts
 * import { collectorRoute } from '@waymark/next/server';
 * import { collector } from '../../../collector';
 *
 * export const { GET, POST, OPTIONS, DELETE } = collectorRoute(collector);
 */
export function collectorRoute(
  collector: FetchHandler,
  options: CollectorRouteOptions = {},
): Record<'GET' | 'POST' | 'OPTIONS' | 'DELETE', RouteHandler> {
  const handle: RouteHandler = async (request) => {
    const url = new URL(request.url);
    if (options.basePath && url.pathname.startsWith(`${options.basePath}/`)) url.pathname = url.pathname.slice(options.basePath.length);
    else {
      const at = url.pathname.indexOf('/v1/');
      if (at > 0) url.pathname = url.pathname.slice(at);
    }
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers: request.headers, signal: request.signal };
    if (request.body) {
      init.body = request.body;
      init.duplex = 'half';
    }
    return collector.fetch(new Request(url, init), { clientIp: (options.clientIp ?? forwardedFor)(request) });
  };
  return { GET: handle, POST: handle, OPTIONS: handle, DELETE: handle };
}

/**
 * The last address of `X-Forwarded-For`: the peer of the server in front of the app. Next.js sets the header from the
 * socket when a request arrives without one, and a reverse proxy appends the address it saw.
 */
function forwardedFor(request: Request): string | undefined {
  return request.headers.get('x-forwarded-for')?.split(',').pop()?.trim() || undefined;
}

/** Options of {@link collectorRoute}. */
export interface CollectorRouteOptions {
  /**
   * The visitor's IP address, for the collector's rate limit and its daily visitor hash (never stored). A route
   * handler sees no socket, so it comes from a header. Behind a platform that puts the client address in its own
   * header, read that one (`(request) => request.headers.get('x-real-ip') ?? undefined`).
   * @default the last address of `X-Forwarded-For`, which Next.js fills in from the socket when it is absent and a
   *   reverse proxy in front appends to
   */
  clientIp?: (request: Request) => string | undefined;
  /**
   * Where the route is mounted, such as `/wm` for `app/wm/[...path]/route.ts`: stripped from every path, so the
   * collector's `/health`, `/dashboard` and `/openapi.json` answer under the mount too.
   * @default only `/v1/…` paths are found, wherever they are mounted
   */
  basePath?: string;
}

/** Options of {@link createServerTracker}. */
export interface ServerTrackerOptions {
  /** Base URL of the collector; events are posted to `${endpoint}/v1/batch`. */
  endpoint: string;
  /** The site's write key. */
  writeKey: string;
  /** The site's origin, sent as `Origin` so the collector's origin check accepts server events (`https://blog.example`). */
  origin: string;
  /**
   * Sends the request.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /** Called with a delivery failure; `track()` itself never rejects. */
  onError?: (error: Error) => void;
}

/** Tracks events from route handlers and server actions. */
export interface ServerTracker<M extends object = RegisteredEvents> {
  /** Sends one catalogue event at once. Resolves when the collector answered; never rejects. */
  track<N extends keyof M & string>(name: N, properties?: M[N]): Promise<void>;
}

/**
 * A tracker for server code: each `track()` posts one envelope to the collector with `fetch`. Server events belong to
 * no visitor (`anonymousId: 'server'`) and say analytics consent was given, so send only events your legal basis covers
 * without the visitor's consent (a confirmed booking, a stored comment), or check the visitor's choice first.
 *
 * @example
 * import { createServerTracker } from '@waymark/next/server';
 *
 * const tracker = createServerTracker({ endpoint: 'http://127.0.0.1:8787', writeKey: 'wk_live_123', origin: 'https://blog.example' });
 * await tracker.track('comment_posted', { postId: 'lisbon-3-days', length: 42 });
 */
export function createServerTracker<M extends object = RegisteredEvents>(options: ServerTrackerOptions): ServerTracker<M> {
  const { endpoint, writeKey, origin, onError } = options;
  if (process.env.NODE_ENV !== 'production' && (!endpoint || !writeKey || !origin)) {
    throw new Error('[waymark] createServerTracker needs endpoint, writeKey and origin, e.g. { endpoint: "http://127.0.0.1:8787", writeKey, origin: "https://blog.example" }');
  }
  const url = `${endpoint.replace(/\/+$/, '')}/v1/batch?key=${encodeURIComponent(writeKey)}`;
  return {
    async track(name, properties) {
      try {
        const now = new Date().toISOString();
        const id = crypto.randomUUID();
        const envelope = {
          id,
          type: 'track',
          name,
          properties: { ...properties },
          timestamp: now,
          anonymousId: 'server',
          sessionId: id,
          schema: 'travel@1',
          context: {
            page: { url: origin, path: '/' },
            consent: { analytics: true, storage: false, marketing: false, gpc: false },
            sampleRate: 1,
            library: { name: '@waymark/next', version: '0.1.0' },
          },
        };
        const response = await (options.fetch || fetch)(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify({ sentAt: now, events: [envelope] }),
        });
        const result = response.ok ? ((await response.json()) as { results?: { status: string; reason?: string }[] }).results?.[0] : undefined;
        if (!response.ok || result?.status === 'rejected') {
          throw new Error(`[waymark] ${name} not stored: ${response.status} ${result?.reason ?? ''}`.trim());
        }
      } catch (error) {
        if (onError) onError(error as Error);
        else console.warn(String(error));
      }
    },
  };
}

/**
 * Tracks one event from a route handler or server action with the tracker configured by the environment variables
 * `WAYMARK_ENDPOINT`, `WAYMARK_WRITE_KEY` and `WAYMARK_ORIGIN`. Resolves when the collector answered; never rejects.
 *
 * @example
 * 'use server';
 * import { track } from '@waymark/next/server';
 *
 * export async function postComment(form: FormData) {
 *   await track('comment_posted', { postId: 'lisbon-3-days', length: String(form.get('text')).length });
 * }
 */
export function track<N extends keyof RegisteredEvents & string>(name: N, properties?: RegisteredEvents[N]): Promise<void> {
  const { WAYMARK_ENDPOINT: endpoint = '', WAYMARK_WRITE_KEY: writeKey = '', WAYMARK_ORIGIN: origin = '' } = process.env;
  if (!endpoint || !writeKey || !origin) {
    if (process.env.NODE_ENV !== 'production') {
      throw new Error('[waymark] track() from @waymark/next/server needs WAYMARK_ENDPOINT, WAYMARK_WRITE_KEY and WAYMARK_ORIGIN in the environment, or use createServerTracker({ endpoint, writeKey, origin })');
    }
    return Promise.resolve();
  }
  return createServerTracker({ endpoint, writeKey, origin }).track(name, properties);
}
