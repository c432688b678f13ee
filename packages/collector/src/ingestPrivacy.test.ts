import { describe, expect, it } from 'vitest';
import type { Envelope } from '@waymark/taxonomy';
import { pseudonymise } from './enrichEvent';
import { KEYS, READ_KEYS, USER_ID_KEY, batch, batchRequest, makeEnvelope, ndjson, readRequest, readStore } from './testSupport';
import { collectorsPerTest } from './collectorsPerTest';

const { setup } = collectorsPerTest({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });

const DAY_MS = 86_400_000;

/**
 * Events of one subject that fail a check which keeps a failed record: an unknown name, more than 32 KB, older than
 * the dedupe window, and nested deeper than the limit.
 */
function brokenEvents(overrides: Partial<Envelope>): Envelope[] {
  let deep: unknown[] = [];
  for (let i = 0; i < 40; i++) deep = [deep];
  return [
    makeEnvelope({ name: 'thing_unknown', ...overrides } as Partial<Envelope>),
    makeEnvelope({ properties: { postId: 'x', padding: 'y'.repeat(40_000) }, ...overrides }),
    makeEnvelope({ timestamp: new Date(Date.now() - 8 * DAY_MS).toISOString(), ...overrides }),
    makeEnvelope({ properties: { postId: 'x', deep }, ...overrides }),
  ];
}

const reasons = async (response: Response) => ((await response.json()) as { results: { status: string; reason?: string }[] }).results;

describe('consent before the failed-events store', () => {
  it('keeps nowhere an event whose snapshot refuses analytics, whatever else is wrong with it', async () => {
    const { collector, path } = setup();
    const events = brokenEvents({ anonymousId: 'anon-refused', userId: 'traveller-refused' });
    for (const event of events) event.context = { ...event.context, consent: { analytics: false, storage: false, marketing: false, gpc: false } };
    const results = await reasons(await collector.fetch(batchRequest(batch(events))));
    expect(results).toEqual(events.map((e) => ({ id: e.id, status: 'rejected', reason: expect.stringMatching(/should not have been sent/) })));
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-refused/events?type=anonymous', KEYS.admin)))).toEqual([]);
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/traveller-refused/events?type=user', KEYS.admin)))).toEqual([]);
    const metrics = await (await collector.fetch(readRequest('/metrics', KEYS.admin))).text();
    expect(metrics).toMatch(/^waymark_events_rejected_total\{reason="consent"\} 4$/m);
    await collector.close();
    expect(await readStore(path)).toEqual({ events: [], failed: [] });
  });

  it('keeps only the id and reason of a failing event whose snapshot does not grant analytics', async () => {
    const { collector, path } = setup();
    const granted = makeEnvelope({ name: 'thing_unknown', anonymousId: 'anon-granted' } as Partial<Envelope>);
    const missing = makeEnvelope({ name: 'thing_unknown', anonymousId: 'anon-missing' } as Partial<Envelope>);
    delete (missing.context as Partial<Envelope['context']>).consent;
    const malformed = makeEnvelope({ anonymousId: 'anon-malformed', properties: { postId: 'x', padding: 'y'.repeat(40_000) } });
    (malformed.context.consent as { analytics: unknown }).analytics = 'false';
    const results = await reasons(await collector.fetch(batchRequest(batch([granted, missing, malformed, 42]))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(results[1].reason).toMatch(/consent/);
    expect(results[2].reason).toMatch(/32768-byte limit/);
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-missing/events?type=anonymous', KEYS.admin)))).toEqual([]);
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-granted/events?type=anonymous', KEYS.admin)))).toHaveLength(1);
    await collector.close();
    const { failed } = await readStore(path);
    const payloadOf = (id: string | null) => JSON.parse(failed.find((f) => f.id === id)!.payload as string);
    expect(payloadOf(granted.id)).toMatchObject({ name: 'thing_unknown', anonymousId: 'anon-granted' });
    const note = 'payload not kept: no consent snapshot granting analytics';
    expect(payloadOf(missing.id)).toEqual({ id: missing.id, note });
    expect(payloadOf(malformed.id)).toEqual({ id: malformed.id, note });
    expect(payloadOf(null)).toEqual({ id: null, note });
    expect(failed.find((f) => f.id === missing.id)!.reason).toBe(results[1].reason);
  });
});

describe('suppression before the failed-events store', () => {
  it('keeps nowhere the failing events an erased anonymous visitor sends again', async () => {
    const { collector, path } = setup();
    expect((await collector.fetch(readRequest('/v1/subjects/anon-x?type=anonymous', KEYS.admin, { method: 'DELETE' }))).status).toBe(200);
    const events = brokenEvents({ anonymousId: 'anon-x' });
    const results = await reasons(await collector.fetch(batchRequest(batch(events))));
    expect(results).toEqual(events.map((e) => ({ id: e.id, status: 'rejected', reason: '[waymark] not stored: the subject has been erased' })));
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-x/events?type=anonymous', KEYS.admin)))).toEqual([]);
    await collector.close();
    expect(await readStore(path)).toEqual({ events: [], failed: [] });
  });

  it('keeps nowhere the failing events of an erased user, whatever anonymous id they carry', async () => {
    const { collector, path } = setup();
    expect((await collector.fetch(readRequest('/v1/subjects/traveller-9?type=user', KEYS.admin, { method: 'DELETE' }))).status).toBe(200);
    const events = brokenEvents({ anonymousId: 'anon-new-device', userId: 'traveller-9' });
    const someoneElse = makeEnvelope({ name: 'thing_unknown', anonymousId: 'anon-other', userId: 'traveller-10' } as Partial<Envelope>);
    const results = await reasons(await collector.fetch(batchRequest(batch([...events, someoneElse]))));
    expect(results.slice(0, events.length).map((r) => r.reason)).toEqual(events.map(() => '[waymark] not stored: the subject has been erased'));
    expect(results[events.length].reason).toMatch(/unknown event "thing_unknown"/);
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/traveller-9/events?type=user', KEYS.admin)))).toEqual([]);
    await collector.close();
    const { events: stored, failed } = await readStore(path);
    expect(stored).toEqual([]);
    expect(failed.map((f) => f.id)).toEqual([someoneElse.id]);
  });

  it('asks the isSuppressed option about a failing event with its user id pseudonymised', async () => {
    const asked: { siteId: string; anonymousId: string; userId?: string }[] = [];
    const erased = pseudonymise('traveller-7', Buffer.from(USER_ID_KEY, 'hex'));
    const { collector, path } = setup({
      isSuppressed: async (subject) => {
        asked.push(subject);
        return subject.userId === erased;
      },
    });
    const event = makeEnvelope({ name: 'thing_unknown', anonymousId: 'anon-7', userId: 'traveller-7' } as Partial<Envelope>);
    const results = await reasons(await collector.fetch(batchRequest(batch([event]))));
    expect(results[0].reason).toBe('[waymark] not stored: the subject has been erased');
    expect(asked).toEqual([{ siteId: 'blog', anonymousId: 'anon-7', userId: erased }]);
    await collector.close();
    expect((await readStore(path)).failed).toEqual([]);
  });
});
