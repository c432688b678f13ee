import type { CollectedEvent } from './enrichEvent';
import type { ReadScope } from './eventQueries';

/** What `GET /v1/stream` sends per stored event: what a dashboard shows, without user or visitor ids. */
export interface StreamedEvent {
  id: string;
  type: string;
  name: string;
  timestamp: string;
  siteId: string;
  path: string;
  title?: string;
  referrer?: string;
  country?: string;
  device: string;
  postId?: string;
  authorId?: string;
}

/** Fans stored events out to the open `GET /v1/stream` responses, each filtered by its key's scope. */
export interface EventStream {
  /** Sends the events to every subscriber whose scope they are in. */
  publish(events: readonly CollectedEvent[]): void;
  /** An SSE response body for one subscriber; it ends when the client goes away or {@link EventStream.close} runs. */
  open(scope: ReadScope): ReadableStream<Uint8Array>;
  /** Number of open streams. */
  readonly size: number;
  /** Ends every stream. */
  close(): void;
}

const encoder = new TextEncoder();

function view(event: CollectedEvent): StreamedEvent {
  const { page } = event.context;
  const properties = event.properties as { postId?: unknown; authorId?: unknown };
  return {
    id: event.id,
    type: event.type,
    name: event.name,
    timestamp: event.timestamp,
    siteId: event.context.server.siteId,
    path: page.path,
    ...(page.title === undefined ? {} : { title: page.title }),
    ...(page.referrer === undefined ? {} : { referrer: page.referrer }),
    ...(event.country === undefined ? {} : { country: event.country }),
    device: event.context.server.device,
    ...(typeof properties.postId === 'string' ? { postId: properties.postId } : {}),
    ...(typeof properties.authorId === 'string' ? { authorId: properties.authorId } : {}),
  };
}

/** Creates the {@link EventStream}; `heartbeatMs` keeps idle connections open through proxies. */
export function createEventStream(heartbeatMs = 15_000): EventStream {
  const subscribers = new Set<{ scope: ReadScope; controller: ReadableStreamDefaultController<Uint8Array>; timer: ReturnType<typeof setInterval> }>();
  const drop = (subscriber: typeof subscribers extends Set<infer S> ? S : never) => {
    clearInterval(subscriber.timer);
    subscribers.delete(subscriber);
  };
  return {
    publish(events) {
      if (subscribers.size === 0) return;
      const views = events.map(view);
      for (const subscriber of subscribers) {
        const { authorId, siteId } = subscriber.scope;
        for (const event of views) {
          if (authorId !== undefined && event.authorId !== authorId) continue;
          if (siteId !== undefined && event.siteId !== siteId) continue;
          try {
            subscriber.controller.enqueue(encoder.encode(`event: stored\nid: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`));
          } catch {
            drop(subscriber);
            break;
          }
        }
      }
    },
    open(scope) {
      let self: Parameters<typeof drop>[0];
      return new ReadableStream<Uint8Array>({
        start(controller) {
          const timer = setInterval(() => {
            try {
              controller.enqueue(encoder.encode(': ping\n\n'));
            } catch {
              drop(self);
            }
          }, heartbeatMs);
          timer.unref?.();
          self = { scope, controller, timer };
          subscribers.add(self);
          controller.enqueue(encoder.encode('retry: 5000\n: connected\n\n'));
        },
        cancel() {
          drop(self);
        },
      });
    },
    get size() {
      return subscribers.size;
    },
    close() {
      for (const subscriber of [...subscribers]) {
        drop(subscriber);
        try {
          subscriber.controller.close();
        } catch {
          // Already closed by the client.
        }
      }
    },
  };
}
