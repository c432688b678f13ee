import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { matchesSubject, subjectIds } from './eventRow';
import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from './sink';
import { invalidOption, SinkError } from './sinkError';
import { messageOf } from './writeResult';

/** Options of {@link natsSink}. Give `servers` or `connection`. */
export interface NatsSinkOptions {
  /** Server URLs. The sink connects lazily and reconnects forever. @default 'nats://127.0.0.1:4222' */
  servers?: string | string[];
  /** A connection you manage (for credentials, TLS, ...); the sink never closes it. */
  connection?: NatsConnection;
  /** JetStream stream name. @default 'WAYMARK_EVENTS' */
  stream?: string;
  /** Events are published on `<subjectPrefix>.<type>.<name>`, such as `waymark.events.track.post_viewed`. @default 'waymark.events' */
  subjectPrefix?: string;
  /** Create the stream (file storage, subjects `<subjectPrefix>.>`) when missing. @default true */
  createStream?: boolean;
  /**
   * The stream's duplicate window when the sink creates it, in ms: a message whose id (the event id) JetStream saw
   * within this window is acknowledged as a duplicate and not stored again. Keep it longer than your retry span.
   * @default 300000 (5 min)
   */
  duplicateWindowMs?: number;
  /** The stream's retention when the sink creates it, in ms; 0 keeps messages until deleted. @default 0 */
  maxAgeMs?: number;
  /** Publishes awaiting their acknowledgement at one time. @default 1000 */
  maxInFlight?: number;
  /** How long one publish waits for its acknowledgement, in ms. @default 5000 */
  timeoutMs?: number;
}

const streamPattern = /^[A-Za-z0-9_-]{1,255}$/;
const subjectPattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Publishes events to NATS JetStream, one message per event on `<subjectPrefix>.<type>.<name>` with the event's
 * JSON as payload and its id as the message id (`Nats-Msg-Id`), so JetStream's duplicate window drops a retried
 * publish. `erase` scans the stream and deletes (overwrites) the subject's messages.
 * Needs `@nats-io/jetstream` and `@nats-io/transport-node`.
 * @example
 * ```ts
 * import { natsSink } from '@waymark/sinks/nats';
 * const sink = natsSink({ servers: 'nats://127.0.0.1:4222' });
 * await sink.write(events);
 * ```
 */
export function natsSink(options: NatsSinkOptions = {}): Sink {
  const {
    servers = 'nats://127.0.0.1:4222',
    stream = 'WAYMARK_EVENTS',
    subjectPrefix = 'waymark.events',
    createStream = true,
    duplicateWindowMs = 300_000,
    maxAgeMs = 0,
    maxInFlight = 1000,
    timeoutMs = 5000,
  } = options;
  if (!streamPattern.test(stream)) invalidOption('natsSink', 'stream', `must be letters, digits, "_" or "-", got ${JSON.stringify(stream)}`);
  if (!subjectPattern.test(subjectPrefix)) invalidOption('natsSink', 'subjectPrefix', `must be dot-separated tokens such as "waymark.events", got ${JSON.stringify(subjectPrefix)}`);
  let session: Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> | undefined;
  let owned: NatsConnection | undefined;

  async function open() {
    const nc = options.connection ?? (owned = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: false }));
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    if (createStream) {
      try {
        await jsm.streams.info(stream);
      } catch (error) {
        if (!/stream not found/i.test(messageOf(error))) throw error;
        await jsm.streams.add({
          name: stream,
          subjects: [`${subjectPrefix}.>`],
          duplicate_window: nanos(duplicateWindowMs),
          max_age: nanos(maxAgeMs),
        });
      }
    }
    return { nc, js: jetstream(nc, { timeout: timeoutMs }), jsm };
  }

  function connected() {
    session ??= open().catch(async (error: unknown) => {
      session = undefined;
      await owned?.close().catch(() => undefined);
      owned = undefined;
      throw new SinkError('unavailable', `natsSink: cannot reach JetStream at ${String(servers)}: ${messageOf(error)}`, { cause: error });
    });
    return session;
  }

  async function write(events: readonly SinkEvent[]): Promise<WriteResult> {
    const { js } = await connected();
    const failed: FailedEvent[] = [];
    let written = 0;
    let retryable: unknown;
    for (let start = 0; start < events.length; start += maxInFlight) {
      const slice = events.slice(start, start + maxInFlight);
      const outcomes = await Promise.allSettled(
        slice.map((event) => js.publish(`${subjectPrefix}.${event.type}.${event.name}`, JSON.stringify(event), { msgID: event.id })),
      );
      outcomes.forEach((outcome, i) => {
        if (outcome.status === 'fulfilled') written++;
        else if (/payload|too large|maximum .* size/i.test(messageOf(outcome.reason))) {
          failed.push({ event: slice[i], reason: `[waymark] natsSink: ${messageOf(outcome.reason)}` });
        } else retryable ??= outcome.reason;
      });
    }
    if (retryable !== undefined) {
      const timedOut = /timeout/i.test(messageOf(retryable));
      throw new SinkError(timedOut ? 'timeout' : 'unavailable', `natsSink: publish failed: ${messageOf(retryable)}`, { cause: retryable });
    }
    return { written, skipped: 0, failed };
  }

  return {
    name: 'nats',
    write: (events) => (events.length === 0 ? Promise.resolve({ written: 0, skipped: 0, failed: [] }) : write(events)),
    async erase(subject: Subject) {
      const ids = subjectIds('natsSink', subject);
      const { js, jsm } = await connected();
      const info = await jsm.streams.info(stream);
      if (info.state.messages === 0) return { deleted: 0 };
      const consumer = await js.consumers.get(stream);
      const messages = await consumer.consume();
      let deleted = 0;
      for await (const message of messages) {
        let event: SinkEvent | undefined;
        try {
          event = message.json<SinkEvent>();
        } catch {
          event = undefined;
        }
        // erase=true overwrites the stored bytes instead of only marking the message deleted.
        if (event && matchesSubject(event, ids) && (await jsm.streams.deleteMessage(stream, message.seq, true))) deleted++;
        if (message.info.pending === 0) break;
      }
      await messages.close();
      return { deleted };
    },
    async close() {
      if (session) await session.catch(() => undefined);
      await owned?.drain().catch(() => undefined);
    },
  };
}
