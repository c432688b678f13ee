import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { describe, expect, it, vi } from 'vitest';
import type { Sink, SinkEvent } from '@waymark/sinks';
import { createCollector } from './createCollector';
import { pseudonymise } from './enrichEvent';
import { KEYS, ORIGIN, READ_KEYS, USER_ID_KEY, WRITE_KEY, batch, batchRequest, makeEnvelope, ndjson, readRequest, readStore, tempDir } from './testSupport';
import { collectorsPerTest } from './collectorsPerTest';

const { setup, cleanups } = collectorsPerTest({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });

/** A sink that keeps what it is sent and can erase it, like a warehouse would. */
function memorySink(name = 'warehouse') {
  const events: SinkEvent[] = [];
  const sink = {
    name,
    async write(batch: readonly SinkEvent[]) {
      events.push(...batch);
      return { written: batch.length, skipped: 0, failed: [] };
    },
    erase: vi.fn(async (subject: { userId?: string; anonymousId?: string }) => {
      const before = events.length;
      for (let i = events.length - 1; i >= 0; i -= 1) {
        if ((subject.userId !== undefined && events[i].userId === subject.userId) || (subject.anonymousId !== undefined && events[i].anonymousId === subject.anonymousId)) events.splice(i, 1);
      }
      return { deleted: before - events.length };
    }),
  } satisfies Sink;
  return { sink, events };
}

const userId = 'traveller-42';
const pseudonym = pseudonymise(userId, Buffer.from(USER_ID_KEY, 'hex'));
const del = (path: string) => readRequest(path, KEYS.admin, { method: 'DELETE' });
const bulk = (subjects: unknown) =>
  readRequest('/v1/erasures', KEYS.admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subjects }) });

async function waitForJob(collector: { fetch(r: Request): Promise<Response> }, job: string) {
  for (let i = 0; i < 200; i += 1) {
    const status = await (await collector.fetch(readRequest(`/v1/erasures/${job}`, KEYS.admin))).json();
    if (status.status === 'done' || status.status === 'failed') return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the job did not finish');
}

describe('export and erasure of a subject', () => {
  it('exports, erases everywhere, exports nothing after, and refuses the subject from then on', async () => {
    const { sink, events: forwarded } = memorySink();
    const { collector, path } = setup({ sinks: [sink] });
    const mine = [makeEnvelope({ userId, anonymousId: 'anon-42' }), makeEnvelope({ userId, anonymousId: 'anon-42', name: 'post_read', type: 'track', properties: { engagedMs: 1000 } })];
    const invalid = makeEnvelope({ userId, properties: { nope: 1 } });
    const someoneElse = makeEnvelope({ userId: 'traveller-7', anonymousId: 'anon-7' });
    const { results } = await (await collector.fetch(batchRequest(batch([...mine, invalid, someoneElse])))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'rejected', 'accepted']);

    const exported = await ndjson(await collector.fetch(readRequest(`/v1/subjects/${userId}/events?type=user`, KEYS.admin)));
    expect(exported.filter((l) => l.source === 'events').map((l) => (l.event as { id: string }).id).sort()).toEqual(mine.map((e) => e.id).sort());
    expect(exported.filter((l) => l.source === 'failed_events').map((l) => l.id)).toEqual([invalid.id]);
    expect(exported.every((l) => (l.event as { userId: string }).userId === pseudonym)).toBe(true);
    await vi.waitFor(() => expect(forwarded).toHaveLength(3));

    const erased = await collector.fetch(del(`/v1/subjects/${userId}?type=user`));
    expect(erased.status).toBe(200);
    expect(await erased.json()).toEqual({ erased: { events: 2, failedEvents: 1 }, sinks: [{ name: 'warehouse', deleted: 2 }], suppressed: true });
    expect(sink.erase).toHaveBeenCalledWith({ userId: pseudonym });
    expect(forwarded.map((e) => e.id)).toEqual([someoneElse.id]);

    expect(await ndjson(await collector.fetch(readRequest(`/v1/subjects/${userId}/events?type=user`, KEYS.admin)))).toEqual([]);
    const again = await (await collector.fetch(batchRequest(batch([makeEnvelope({ userId, anonymousId: 'anon-new' })])))).json();
    expect(again.results[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/erased/) });

    await collector.close();
    const stored = await readStore(path);
    expect(stored.events.map((e) => e.id)).toEqual([someoneElse.id]);
    expect(stored.failed).toEqual([]);
  });

  it('keeps the suppression list across a restart', async () => {
    const { collector, path } = setup();
    expect((await collector.fetch(del('/v1/subjects/anon-gone?type=anonymous'))).status).toBe(200);
    await collector.close();
    const reopened = createCollector({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: USER_ID_KEY, store: { path }, retention: { intervalMs: 0 } });
    cleanups.push(() => reopened.close());
    const { results } = await (await reopened.fetch(batchRequest(batch([makeEnvelope({ anonymousId: 'anon-gone' }), makeEnvelope()])))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'accepted']);
  });

  it('answers 502 naming the sink when a sink cannot erase, after erasing and suppressing locally', async () => {
    const broken: Sink = { name: 'broken', write: async (e) => ({ written: e.length, skipped: 0, failed: [] }), erase: () => Promise.reject(new Error('warehouse offline')) };
    const { collector } = setup({ sinks: [broken] });
    await collector.fetch(batchRequest(batch([makeEnvelope({ anonymousId: 'anon-x' })])));
    const response = await collector.fetch(del('/v1/subjects/anon-x?type=anonymous'));
    expect(response.status).toBe(502);
    expect((await response.json()).detail).toMatch(/sink broken failed: warehouse offline; repeat the call/);
    expect(await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-x/events?type=anonymous', KEYS.admin)))).toEqual([]);
  });
});

describe('bulk erasure', () => {
  it('suppresses at once, erases in the background and reports the job', async () => {
    const { sink } = memorySink();
    const { collector } = setup({ sinks: [sink] });
    const subjects = Array.from({ length: 30 }, (_, i) => `anon-bulk-${i}`);
    await collector.fetch(batchRequest(batch(subjects.map((anonymousId) => makeEnvelope({ anonymousId })))));
    await collector.fetch(batchRequest(batch([makeEnvelope({ userId })])));
    const response = await collector.fetch(bulk([...subjects.map((id) => ({ type: 'anonymous', id })), { type: 'user', id: userId }]));
    expect(response.status).toBe(202);
    const created = await response.json();
    expect(response.headers.get('location')).toBe(`/v1/erasures/${created.job}`);
    expect(created).toMatchObject({ subjects: 31 });
    const refused = await (await collector.fetch(batchRequest(batch([makeEnvelope({ anonymousId: 'anon-bulk-3' })])))).json();
    expect(refused.results[0].status).toBe('rejected');
    const done = await waitForJob(collector, created.job);
    expect(done).toMatchObject({ status: 'done', subjects: 31, erased: 31, errors: [] });
    expect(sink.erase).toHaveBeenCalledTimes(31);
    expect(sink.erase).toHaveBeenCalledWith({ userId: pseudonym });
    const left = await ndjson(await collector.fetch(readRequest('/v1/events', KEYS.admin)));
    expect(left).toEqual([]);
  });

  it('accepts 5000 subjects and refuses 5001 or malformed ones with a 400', async () => {
    const { collector } = setup();
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'anonymous', id: `a-${i}` }));
    const tooMany = await collector.fetch(bulk(many(5001)));
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).detail).toMatch(/1 to 5000/);
    const bad = await collector.fetch(bulk([{ type: 'email', id: 'x@y.example' }]));
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toMatch(/subjects\.0/);
    const form = await collector.fetch(readRequest('/v1/erasures', KEYS.admin, { method: 'POST', body: 'subjects=1' }));
    expect(form.status).toBe(415);
    const ok = await collector.fetch(bulk(many(5000)));
    expect(ok.status).toBe(202);
    const status = await waitForJob(collector, (await ok.json()).job);
    expect(status).toMatchObject({ status: 'done', erased: 5000 });
    expect((await collector.fetch(readRequest('/v1/erasures/no-such-job', KEYS.admin))).status).toBe(404);
  }, 30_000);
});

/** A second site, and admin keys bound to one site each, besides the keys of every site in READ_KEYS. */
const OTHER = { id: 'other', writeKey: 'wk_test_other', origins: ['https://other.example'] };
const SITES = [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }, OTHER];
const BLOG_ADMIN = 'rk_blog_admin_0123456789';
const OTHER_ADMIN = 'rk_other_admin_0123456789';
const SITE_KEYS = [
  ...READ_KEYS,
  { name: 'blog-admin', key: BLOG_ADMIN, role: 'admin' as const, siteId: 'blog' },
  { name: 'other-admin', key: OTHER_ADMIN, role: 'admin' as const, siteId: 'other' },
];
const toOther = (events: unknown[]) => batchRequest(batch(events), { key: OTHER.writeKey, origin: OTHER.origins[0] });
const statuses = async (response: Response) => ((await response.json()).results as { status: string }[]).map((r) => r.status);

describe('a read key bound to one site', () => {
  it('exports, erases and suppresses the subject on its own site only', async () => {
    const { sink } = memorySink();
    const { collector, path } = setup({ sites: SITES, readKeys: SITE_KEYS, sinks: [sink] });
    const onBlog = makeEnvelope({ anonymousId: 'anon-o' });
    const failedOnBlog = makeEnvelope({ anonymousId: 'anon-o', properties: { nope: 1 } });
    const onOther = makeEnvelope({ anonymousId: 'anon-o' });
    const failedOnOther = makeEnvelope({ anonymousId: 'anon-o', properties: { nope: 2 } });
    expect(await statuses(await collector.fetch(batchRequest(batch([onBlog, failedOnBlog]))))).toEqual(['accepted', 'rejected']);
    expect(await statuses(await collector.fetch(toOther([onOther, failedOnOther])))).toEqual(['accepted', 'rejected']);

    const exported = await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-o/events?type=anonymous', BLOG_ADMIN)));
    expect(exported.map((l) => [l.source, (l.event as { id: string }).id])).toEqual([['events', onBlog.id], ['failed_events', failedOnBlog.id]]);

    const erased = await collector.fetch(readRequest('/v1/subjects/anon-o?type=anonymous', BLOG_ADMIN, { method: 'DELETE' }));
    expect(erased.status).toBe(200);
    expect(await erased.json()).toEqual({
      erased: { events: 1, failedEvents: 1 },
      sinks: [{ name: 'warehouse', skipped: expect.stringMatching(/every site.*site "blog"/) }],
      suppressed: true,
      siteId: 'blog',
    });
    // A sink's erase takes no site: asking it would erase the other site's events too.
    expect(sink.erase).not.toHaveBeenCalled();
    const left = await ndjson(await collector.fetch(readRequest('/v1/subjects/anon-o/events?type=anonymous', KEYS.admin)));
    expect(left.map((l) => (l.event as { id: string }).id)).toEqual([onOther.id, failedOnOther.id]);

    expect(await statuses(await collector.fetch(batchRequest(batch([makeEnvelope({ anonymousId: 'anon-o' })]))))).toEqual(['rejected']);
    expect(await statuses(await collector.fetch(toOther([makeEnvelope({ anonymousId: 'anon-o' })])))).toEqual(['accepted']);

    // The site of the suppression survives a restart.
    await collector.close();
    const reopened = createCollector({ sites: SITES, userIdKey: USER_ID_KEY, store: { path }, retention: { intervalMs: 0 } });
    cleanups.push(() => reopened.close());
    expect(await statuses(await reopened.fetch(batchRequest(batch([makeEnvelope({ anonymousId: 'anon-o' })]))))).toEqual(['rejected']);
    expect(await statuses(await reopened.fetch(toOther([makeEnvelope({ anonymousId: 'anon-o' })])))).toEqual(['accepted']);
  });

  it('limits a bulk erasure to its site and sees only its own site’s jobs', async () => {
    const { sink } = memorySink();
    const { collector } = setup({ sites: SITES, readKeys: SITE_KEYS, sinks: [sink] });
    await collector.fetch(batchRequest(batch([makeEnvelope({ userId }), makeEnvelope({ anonymousId: 'anon-b' })])));
    const otherEvents = [makeEnvelope({ userId }), makeEnvelope({ anonymousId: 'anon-b' })];
    await collector.fetch(toOther(otherEvents));
    const created = await collector.fetch(
      readRequest('/v1/erasures', BLOG_ADMIN, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subjects: [{ type: 'user', id: userId }, { type: 'anonymous', id: 'anon-b' }] }),
      }),
    );
    expect(created.status).toBe(202);
    const { job } = await created.json();
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 200 && status.status !== 'done'; i += 1) {
      status = await (await collector.fetch(readRequest(`/v1/erasures/${job}`, BLOG_ADMIN))).json();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toMatchObject({ status: 'done', subjects: 2, erased: 2, errors: [], siteId: 'blog' });
    expect(sink.erase).not.toHaveBeenCalled();
    expect((await collector.fetch(readRequest(`/v1/erasures/${job}`, KEYS.admin))).status).toBe(200);
    const hidden = await collector.fetch(readRequest(`/v1/erasures/${job}`, OTHER_ADMIN));
    expect(hidden.status).toBe(404);
    expect((await hidden.json()).detail).toMatch(/no erasure job/);

    const left = await ndjson(await collector.fetch(readRequest('/v1/events', KEYS.admin)));
    expect(left.map((e) => e.id).sort()).toEqual(otherEvents.map((e) => e.id).sort());
    expect(await statuses(await collector.fetch(batchRequest(batch([makeEnvelope({ userId, anonymousId: 'anon-new' })]))))).toEqual(['rejected']);
    expect(await statuses(await collector.fetch(toOther([makeEnvelope({ userId, anonymousId: 'anon-new' }), makeEnvelope({ anonymousId: 'anon-b' })])))).toEqual([
      'accepted',
      'accepted',
    ]);
  });

  it('keeps reading a suppression list and jobs made before suppressions had a site', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'old.duckdb');
    const instance = await DuckDBInstance.create(path);
    const db = await instance.connect();
    // The tables as the previous version made them.
    await db.run(`CREATE TABLE waymark_suppressions (kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, erased_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (kind, subject_id))`);
    await db.run(`INSERT INTO waymark_suppressions VALUES ('anonymous', 'anon-old', now())`);
    await db.run(`CREATE TABLE waymark_erasure_jobs (
      id VARCHAR PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, status VARCHAR NOT NULL, subjects JSON NOT NULL,
      done INTEGER NOT NULL, errors JSON NOT NULL, finished_at TIMESTAMPTZ)`);
    await db.run(`INSERT INTO waymark_erasure_jobs VALUES ('job-old', now(), 'done', '[{"anonymousId":"anon-old"}]', 1, '[]', now())`);
    db.closeSync();
    instance.closeSync();

    const collector = createCollector({ sites: SITES, userIdKey: USER_ID_KEY, store: { path }, readKeys: SITE_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });
    cleanups.push(async () => {
      await collector.close();
      remove();
    });
    // Suppressed before sites were recorded: on every site.
    expect(await statuses(await collector.fetch(batchRequest(batch([makeEnvelope({ anonymousId: 'anon-old' })]))))).toEqual(['rejected']);
    expect(await statuses(await collector.fetch(toOther([makeEnvelope({ anonymousId: 'anon-old' })])))).toEqual(['rejected']);
    expect(await (await collector.fetch(readRequest('/v1/erasures/job-old', KEYS.admin))).json()).toMatchObject({ job: 'job-old', status: 'done', erased: 1 });
    expect((await collector.fetch(readRequest('/v1/erasures/job-old', BLOG_ADMIN))).status).toBe(404);
    // New jobs and suppressions of one site are kept in the same store.
    const created = await collector.fetch(
      readRequest('/v1/erasures', BLOG_ADMIN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subjects: [{ type: 'anonymous', id: 'anon-n' }] }) }),
    );
    expect(created.status).toBe(202);
    expect(await statuses(await collector.fetch(toOther([makeEnvelope({ anonymousId: 'anon-n' })])))).toEqual(['accepted']);
  });
});

describe('retention', () => {
  it('purges raw and failed events older than 25 months, on demand and on its timer', async () => {
    let clock = Date.parse('2024-01-10T12:00:00Z');
    const { collector, path } = setup({ now: () => clock });
    const at = (iso: string) => {
      clock = Date.parse(iso);
      return makeEnvelope({ timestamp: iso });
    };
    const send = (event: ReturnType<typeof makeEnvelope>) => collector.fetch(batchRequest(batch([event], new Date(clock).toISOString())));
    const old = at('2024-01-10T12:00:00.000Z');
    await send(old);
    const oldFailed = makeEnvelope({ properties: { nope: 1 }, timestamp: old.timestamp });
    await send(oldFailed);
    const kept = at('2024-03-01T00:00:00.000Z');
    await send(kept);
    clock = Date.parse('2026-02-15T00:00:00Z');
    expect(await collector.purgeExpired()).toEqual({ before: '2024-01-15T00:00:00.000Z', events: 1, failedEvents: 1 });
    expect(await collector.purgeExpired()).toMatchObject({ events: 0, failedEvents: 0 });
    await collector.close();
    const stored = await readStore(path);
    expect(stored.events.map((e) => e.id)).toEqual([kept.id]);
    expect(stored.failed).toEqual([]);
  });

  it('cuts at the last day of a shorter month instead of rolling over into the next', async () => {
    const cases: [string, number, string][] = [
      ['2026-05-31T12:00:00.000Z', 3, '2026-02-28T12:00:00.000Z'],
      ['2028-05-31T12:00:00.000Z', 3, '2028-02-29T12:00:00.000Z'],
      ['2026-03-31T00:00:00.000Z', 1, '2026-02-28T00:00:00.000Z'],
      ['2026-12-31T23:59:59.000Z', 25, '2024-11-30T23:59:59.000Z'],
      ['2026-07-15T08:00:00.000Z', 1, '2026-06-15T08:00:00.000Z'],
    ];
    for (const [now, months, before] of cases) {
      const { collector } = setup({ now: () => Date.parse(now), retention: { months, intervalMs: 0 } });
      expect((await collector.purgeExpired()).before, `${now} minus ${months} months`).toBe(before);
    }
  });

  it('runs the purge every intervalMs with the configured number of months', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let clock = Date.parse('2026-01-01T00:00:00Z');
      const { collector, path } = setup({ now: () => clock, retention: { months: 1, intervalMs: 60_000 } });
      const event = makeEnvelope({ timestamp: new Date(clock).toISOString() });
      await collector.fetch(batchRequest(batch([event], new Date(clock).toISOString())));
      clock = Date.parse('2026-02-02T00:00:00Z');
      await vi.advanceTimersByTimeAsync(60_000);
      await vi.waitFor(async () => expect(await ndjson(await collector.fetch(readRequest('/v1/events?from=2025-12-01', KEYS.admin)))).toEqual([]));
      await collector.close();
      expect((await readStore(path)).events).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** What `refreshRollups` (`@waymark/report`) derives, reduced to the columns erasure and retention look at. */
async function deriveTables(connection: DuckDBConnection): Promise<number> {
  await connection.run(`CREATE TABLE IF NOT EXISTS waymark_facts (id VARCHAR PRIMARY KEY, anonymous_id VARCHAR, user_id VARCHAR, ts_ms BIGINT)`);
  await connection.run(`CREATE TABLE IF NOT EXISTS waymark_visitors (anonymous_id VARCHAR PRIMARY KEY, user_id VARCHAR, first_day DATE)`);
  await connection.run(`INSERT OR IGNORE INTO waymark_facts SELECT id, anonymous_id, coalesce(user_id, ''), epoch_ms(timestamp) FROM waymark_events`);
  await connection.run(
    `INSERT OR REPLACE INTO waymark_visitors SELECT anonymous_id, max(coalesce(user_id, '')), min(CAST(timestamp AS DATE)) FROM waymark_events GROUP BY anonymous_id`,
  );
  // Sessions and post readers carry no user id: one row per day and session, or per day, post and visitor.
  await connection.run(`CREATE TABLE IF NOT EXISTS waymark_sessions (day DATE, session_id VARCHAR, anonymous_id VARCHAR)`);
  await connection.run(`CREATE TABLE IF NOT EXISTS waymark_post_visitors (day DATE, post_id VARCHAR, anonymous_id VARCHAR)`);
  // Like the real refresh, rows are only added: what erasure and retention leave is what they deleted.
  await connection.run(
    `INSERT INTO waymark_sessions SELECT day, session_id, min(anonymous_id) FROM (SELECT CAST(timestamp AS DATE) AS day, session_id, anonymous_id FROM waymark_events)
     WHERE (day, session_id) NOT IN (SELECT (day, session_id) FROM waymark_sessions) GROUP BY day, session_id`,
  );
  await connection.run(
    `INSERT INTO waymark_post_visitors SELECT DISTINCT CAST(timestamp AS DATE) AS day, 'lisbon', anonymous_id FROM waymark_events
     WHERE (CAST(timestamp AS DATE), anonymous_id) NOT IN (SELECT (day, anonymous_id) FROM waymark_post_visitors)`,
  );
  return Number((await connection.runAndReadAll('SELECT count(*) FROM waymark_facts')).getRows()[0][0]);
}

async function readDerived(path: string): Promise<{ facts: string[]; visitors: string[]; sessions?: string[]; postVisitors?: string[] }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const db = await instance.connect();
  try {
    const column = async (sql: string) => (await db.runAndReadAll(sql)).getRows().map(([value]) => String(value));
    const tables = await column(`SELECT table_name FROM information_schema.tables WHERE table_name IN ('waymark_sessions', 'waymark_post_visitors')`);
    return {
      facts: await column('SELECT id FROM waymark_facts ORDER BY id'),
      visitors: await column('SELECT anonymous_id FROM waymark_visitors ORDER BY anonymous_id'),
      ...(tables.length === 2 && {
        sessions: await column('SELECT session_id FROM waymark_sessions ORDER BY session_id'),
        postVisitors: await column('SELECT anonymous_id FROM waymark_post_visitors ORDER BY anonymous_id'),
      }),
    };
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

describe('derived report tables', () => {
  it('erases a subject from facts, visitors, sessions and post readers after a rollup refresh', async () => {
    let facts = 0;
    const { collector, path } = setup({ maintenance: { everyMs: 10, run: async (connection) => void (facts = await deriveTables(connection)) } });
    const mine = [makeEnvelope({ userId, anonymousId: 'anon-42', sessionId: 'sess-42' }), makeEnvelope({ anonymousId: 'anon-42', sessionId: 'sess-42' })];
    const other = makeEnvelope({ anonymousId: 'anon-7', sessionId: 'sess-7' });
    await collector.fetch(batchRequest(batch([...mine, other])));
    await vi.waitFor(() => expect(facts).toBe(3));

    expect((await collector.fetch(del('/v1/subjects/anon-42?type=anonymous'))).status).toBe(200);
    await collector.close();
    expect(await readDerived(path)).toEqual({ facts: [other.id], visitors: ['anon-7'], sessions: ['sess-7'], postVisitors: ['anon-7'] });
  });

  it('erases by user id from the derived tables in a bulk job', async () => {
    let facts = 0;
    const { collector, path } = setup({ maintenance: { everyMs: 10, run: async (connection) => void (facts = await deriveTables(connection)) } });
    const mine = makeEnvelope({ userId, anonymousId: 'anon-42', sessionId: 'sess-42' });
    const other = makeEnvelope({ userId: 'traveller-7', anonymousId: 'anon-7', sessionId: 'sess-7' });
    await collector.fetch(batchRequest(batch([mine, other])));
    await vi.waitFor(() => expect(facts).toBe(2));
    const created = await collector.fetch(bulk([{ type: 'user', id: userId }]));
    expect(await waitForJob(collector, (await created.json()).job)).toMatchObject({ status: 'done', erased: 1 });
    await collector.close();
    // Sessions and post readers have no user id: the user's events name their visitor and session.
    expect(await readDerived(path)).toEqual({ facts: [other.id], visitors: ['anon-7'], sessions: ['sess-7'], postVisitors: ['anon-7'] });
  });

  it('erases from the derived tables only what the subject’s events of the key’s site name', async () => {
    let facts = 0;
    let refreshing = true;
    const { collector, path } = setup({
      sites: SITES,
      readKeys: SITE_KEYS,
      maintenance: {
        everyMs: 10,
        async run(connection) {
          // Stopped before the erasure: a later refresh would derive again what the erasure rightly kept.
          if (refreshing) facts = await deriveTables(connection);
        },
      },
    });
    const onBlog = makeEnvelope({ anonymousId: 'anon-42', sessionId: 'sess-blog' });
    const onOther = makeEnvelope({ anonymousId: 'anon-42', sessionId: 'sess-other' });
    const someoneElse = makeEnvelope({ anonymousId: 'anon-7', sessionId: 'sess-7' });
    await collector.fetch(batchRequest(batch([onBlog, someoneElse])));
    await collector.fetch(toOther([onOther]));
    await vi.waitFor(() => expect(facts).toBe(3));
    refreshing = false;
    expect((await collector.fetch(readRequest('/v1/subjects/anon-42?type=anonymous', BLOG_ADMIN, { method: 'DELETE' }))).status).toBe(200);
    await collector.close();
    const derived = await readDerived(path);
    expect(derived.facts).toEqual([onOther.id, someoneElse.id].sort());
    expect(derived.sessions).toEqual(['sess-7', 'sess-other']);
  });

  it('never lets a refresh that read the events before an erasure write the subject back', async () => {
    const mine = makeEnvelope({ anonymousId: 'anon-42' });
    let readMine!: () => void;
    const mineRead = new Promise<void>((resolve) => (readMine = resolve));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const { collector, path } = setup({
      maintenance: {
        everyMs: 5,
        async run(connection) {
          await connection.run(`CREATE TABLE IF NOT EXISTS waymark_facts (id VARCHAR PRIMARY KEY, anonymous_id VARCHAR, user_id VARCHAR, ts_ms BIGINT)`);
          await connection.run(`CREATE TABLE IF NOT EXISTS waymark_visitors (anonymous_id VARCHAR PRIMARY KEY, user_id VARCHAR, first_day DATE)`);
          // A slow refresh: it has read the subject's event and writes its facts only once the gate opens.
          const rows = (await connection.runAndReadAll(`SELECT id FROM waymark_events WHERE id NOT IN (SELECT id FROM waymark_facts)`)).getRows();
          if (rows.some(([id]) => id === mine.id)) {
            readMine();
            await gate;
          }
          for (const [id] of rows) await connection.run(`INSERT OR IGNORE INTO waymark_facts VALUES ($1, 'anon-42', '', 0)`, [String(id)]);
        },
      },
    });
    await collector.ready();
    // Written without a refresh in between: the next refresh reads it.
    await collector.fetch(batchRequest(batch([mine])));
    await mineRead;
    const erasing = collector.fetch(del('/v1/subjects/anon-42?type=anonymous'));
    let erased = false;
    void erasing.then(() => (erased = true));
    // Long enough for an erasure that does not wait (a few hundred ms here) to finish before the refresh writes.
    await Promise.race([erasing, new Promise((resolve) => setTimeout(resolve, 1500))]);
    expect(erased).toBe(false);
    openGate();
    expect((await erasing).status).toBe(200);
    await collector.close();
    expect(await readDerived(path)).toEqual({ facts: [], visitors: [] });
  });

  it('purges expired facts, sessions and post readers, and visitors left without events', async () => {
    let clock = Date.parse('2024-01-10T12:00:00Z');
    let facts = 0;
    const { collector, path } = setup({ now: () => clock, maintenance: { everyMs: 10, run: async (connection) => void (facts = await deriveTables(connection)) } });
    const send = (event: ReturnType<typeof makeEnvelope>) => collector.fetch(batchRequest(batch([event], new Date(clock).toISOString())));
    const old = makeEnvelope({ anonymousId: 'anon-old', timestamp: new Date(clock).toISOString() });
    const oldAndNew = makeEnvelope({ anonymousId: 'anon-both', timestamp: new Date(clock).toISOString() });
    await send(old);
    await send(oldAndNew);
    clock = Date.parse('2026-02-15T00:00:00Z');
    const kept = makeEnvelope({ anonymousId: 'anon-both', timestamp: new Date(clock).toISOString() });
    await send(kept);
    await vi.waitFor(() => expect(facts).toBe(3));
    expect(await collector.purgeExpired()).toMatchObject({ events: 2 });
    await collector.close();
    expect(await readDerived(path)).toEqual({ facts: [kept.id], visitors: ['anon-both'], sessions: ['sess-1'], postVisitors: ['anon-both'] });
  });
});
