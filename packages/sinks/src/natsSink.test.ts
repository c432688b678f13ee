import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsSink } from './natsSink';
import { retryingSink } from './retryingSink';
import type { SinkEvent } from './sink';
import { hostPort, makeEvents, portOpen, startCutProxy, uniqueName, until } from './testSupport';

const url = process.env.WAYMARK_NATS_URL ?? 'nats://127.0.0.1:4222';
const target = hostPort(url, 4222);
const up = await portOpen(target.port, target.host);
if (!up) console.warn(`[waymark] natsSink tests skipped: no NATS JetStream at ${url} (set WAYMARK_NATS_URL or start it as in .ci/run)`);

describe.skipIf(!up)('natsSink (real NATS JetStream)', () => {
  let nc: NatsConnection;
  const streams: string[] = [];
  const newStream = () => {
    const name = uniqueName('WAYMARK_TEST').toUpperCase();
    streams.push(name);
    return { stream: name, subjectPrefix: `test.${name.toLowerCase()}` };
  };
  /** Every message in the stream, as { subject, event }. */
  async function readStream(stream: string) {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: { subject: string; event: SinkEvent; msgId: string | undefined }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (message) out.push({ subject: message.subject, event: message.json<SinkEvent>(), msgId: message.header?.get('Nats-Msg-Id') });
    }
    return out;
  }

  beforeAll(async () => {
    nc = await connect({ servers: url });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('publishes each event on <prefix>.<type>.<name> with its id as message id', async () => {
    const names = newStream();
    const sink = natsSink({ servers: url, ...names });
    const events = makeEvents(3);
    expect(await sink.write(events)).toEqual({ written: 3, skipped: 0, failed: [] });
    const stored = await readStream(names.stream);
    expect(stored.map((m) => m.subject)).toEqual(events.map(() => `${names.subjectPrefix}.track.post_viewed`));
    expect(stored.map((m) => m.event)).toEqual(events);
    expect(stored.map((m) => m.msgId)).toEqual(events.map((e) => e.id));
    await sink.close!();
  });

  it('stores a retried batch once within the duplicate window', async () => {
    const names = newStream();
    const sink = natsSink({ servers: url, ...names });
    const events = makeEvents(200);
    await sink.write(events);
    await sink.write([...events.slice(0, 100), ...events.slice(0, 100)]);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(200);
    await sink.close!();
  });

  it('erases a subject’s messages and keeps the others', async () => {
    const names = newStream();
    const sink = natsSink({ servers: url, ...names });
    const events = makeEvents(40);
    await sink.write(events);
    const gone = events.filter((e) => e.userId === 'user-3' || e.anonymousId === 'anon-5');
    expect(await sink.erase!({ userId: 'user-3', anonymousId: 'anon-5' })).toEqual({ deleted: gone.length });
    const left = await readStream(names.stream);
    expect(left.map((m) => m.event.id).sort()).toEqual(events.filter((e) => !gone.includes(e)).map((e) => e.id).sort());
    await sink.close!();
  });

  describe('when the server goes away mid-run', () => {
    let proxy: Awaited<ReturnType<typeof startCutProxy>>;
    beforeAll(async () => {
      proxy = await startCutProxy(target);
    });
    afterAll(() => proxy.close());

    it('retries and loses nothing once the server is back', async () => {
      const names = newStream();
      const inner = natsSink({ servers: `nats://127.0.0.1:${proxy.port}`, timeoutMs: 1000, ...names });
      let retries = 0;
      const sink = retryingSink(inner, { baseDelayMs: 50, maxDelayMs: 200, attempts: 100, onRetry: () => retries++ });
      const batches = Array.from({ length: 20 }, (_, i) => makeEvents(250, i * 250));
      let written = 0;
      const writer = (async () => {
        for (const batch of batches) written += (await sink.write(batch)).written;
      })();
      await until(() => written >= 250); // cut once the first batch is stored, while the next is in flight
      await proxy.cut();
      const writtenAtCut = written;
      await new Promise((r) => setTimeout(r, 1500));
      await proxy.restore();
      await writer;
      expect(writtenAtCut).toBeLessThan(5000);
      expect(retries).toBeGreaterThan(0);
      const stored = await readStream(names.stream);
      expect(stored).toHaveLength(5000);
      expect(new Set(stored.map((m) => m.event.id)).size).toBe(5000);
      await inner.close!();
    }, 60_000); // thousands of writes through a cut connection, beside every other suite in CI
  });
});
