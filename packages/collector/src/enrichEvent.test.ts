import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDailySalts } from './dailySalts';
import { classifyUserAgent, createRequestCache, enrichEvent, referrerHost, stripQuery } from './enrichEvent';
import { USER_ID_KEY, batch, batchRequest, makeEnvelope, readStore, testCollector } from './testSupport';
import { collectorsPerTest } from './collectorsPerTest';

const { setup } = collectorsPerTest();

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/** Sends one event and returns its stored row with `context` parsed. */
async function storeOne(options: Parameters<typeof testCollector>[0], init: Parameters<typeof batchRequest>[1] = {}, envelope = makeEnvelope(), sentAt?: string) {
  const { collector, path } = setup(options);
  const response = await collector.fetch(batchRequest(batch([envelope], sentAt), init), { clientIp: '198.51.100.7' });
  const body = await response.json();
  await collector.close();
  const { events } = await readStore(path);
  return { body, row: events[0], context: events[0] && JSON.parse(events[0].context as string), rowText: JSON.stringify(events) };
}

describe('enrichment and privacy at the door', () => {
  it('stores device, browser and OS classes, never the raw IP or User-Agent', async () => {
    const { context, rowText } = await storeOne({}, { headers: { 'user-agent': IPHONE_UA } });
    expect(context.server).toMatchObject({ siteId: 'blog', device: 'mobile', browser: 'Mobile Safari', os: 'iOS' });
    expect(rowText).not.toContain('198.51.100.7');
    expect(rowText).not.toContain('AppleWebKit');
    expect(rowText).not.toContain('17_0');
  });

  it('flags bots by default and counts them', async () => {
    const { collector, path } = setup();
    await collector.fetch(batchRequest(batch([makeEnvelope()]), { headers: { 'user-agent': GOOGLEBOT_UA } }));
    const metrics = await (await collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(metrics).toContain('waymark_bot_events_total{action="flagged"} 1\n');
    await collector.close();
    const { events } = await readStore(path);
    expect(JSON.parse(events[0].context as string).server.bot).toBe(true);
  });

  it("drops bots with bots: 'drop' and counts them", async () => {
    const { collector, path } = setup({ bots: 'drop' });
    const response = await collector.fetch(batchRequest(batch([makeEnvelope()]), { headers: { 'user-agent': GOOGLEBOT_UA } }));
    expect((await response.json()).results[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/bot/) });
    const metrics = await (await collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(metrics).toContain('waymark_bot_events_total{action="dropped"} 1\n');
    await collector.close();
    expect(await readStore(path)).toEqual({ events: [], failed: [] });
  });

  it('takes the country from the configured trusted proxy header only', async () => {
    const trusted = await storeOne({ trustedProxy: { countryHeader: 'cf-ipcountry' } }, { headers: { 'cf-ipcountry': 'pt' } });
    expect(trusted.row.country).toBe('PT');
    const untrusted = await storeOne({}, { headers: { 'cf-ipcountry': 'PT' } });
    expect(untrusted.row.country).toBeNull();
    const garbage = await storeOne({ trustedProxy: { countryHeader: 'cf-ipcountry' } }, { headers: { 'cf-ipcountry': 'XX' } });
    expect(garbage.row.country).toBeNull();
  });

  it('keeps only utm_*, ref and allowlisted query keys, and the referrer host', async () => {
    const envelope = makeEnvelope();
    envelope.context.page.url = 'https://blog.example/lisbon?utm_source=news&email=a@b.example&token=t&ref=hn&lang=pt#top';
    envelope.context.page.path = '/lisbon?token=t';
    const { row, context } = await storeOne({ keepQueryKeys: ['lang'] }, {}, envelope);
    expect(context.page.url).toBe('https://blog.example/lisbon?utm_source=news&ref=hn&lang=pt');
    expect(row.page_path).toBe('/lisbon');
    expect(row.page_referrer).toBe('news.example');
    expect(context.page.referrer).toBe('news.example');
  });

  it('pseudonymises userId with HMAC-SHA-256 under the configured key', async () => {
    const { row, rowText } = await storeOne({}, {}, makeEnvelope({ userId: 'alice@example.com' }));
    const expected = createHmac('sha256', Buffer.from(USER_ID_KEY, 'hex')).update('alice@example.com').digest('hex');
    expect(row.user_id).toBe(expected);
    expect(rowText).not.toContain('alice');
  });

  it('pseudonymises userId and strips the query in failed-event payloads too', async () => {
    const { collector, path } = setup();
    const bad = makeEnvelope({ userId: 'alice@example.com', properties: { nope: true } });
    await collector.fetch(batchRequest(batch([bad])));
    await collector.close();
    const { failed } = await readStore(path);
    expect(failed[0].payload).not.toContain('alice');
    expect(failed[0].payload).not.toContain('email=');
    expect(JSON.parse(failed[0].payload as string).properties).toEqual({ nope: true });
  });

  it('pseudonymises a numeric userId and drops an object userId in failed-event payloads', async () => {
    const { collector, path } = setup();
    const numeric = { ...makeEnvelope(), userId: 4815162342 };
    const object = { ...makeEnvelope(), userId: { email: 'alice@example.com' } };
    await collector.fetch(batchRequest(batch([numeric, object] as never[])));
    await collector.close();
    const { failed } = await readStore(path);
    const payloads = new Map(failed.map((f) => [f.id, JSON.parse(f.payload as string)]));
    const expected = createHmac('sha256', Buffer.from(USER_ID_KEY, 'hex')).update('4815162342').digest('hex');
    expect(payloads.get(numeric.id).userId).toBe(expected);
    expect(payloads.get(object.id).userId).toBeNull();
    expect(JSON.stringify(failed)).not.toContain('4815162342');
    expect(JSON.stringify(failed)).not.toContain('alice');
  });

  it('sets gpc and clears marketing consent on Sec-GPC: 1', async () => {
    const { context } = await storeOne({}, { headers: { 'sec-gpc': '1' } });
    expect(context.consent).toMatchObject({ gpc: true, marketing: false, analytics: true });
  });

  it('corrects the timestamp by the skew between sentAt and receipt, and stamps receivedAt', async () => {
    const received = Date.parse('2026-03-01T12:00:00.000Z');
    // The client clock runs 10 minutes behind: it says it sent at 11:50, the event happened 2 s before that.
    const envelope = makeEnvelope({ timestamp: '2026-03-01T11:49:58.000Z' });
    const { row, context } = await storeOne({ now: () => received }, {}, envelope, '2026-03-01T11:50:00.000Z');
    expect(new Date((row.timestamp as string).replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString()).toBe('2026-03-01T11:59:58.000Z');
    expect(new Date((row.received_at as string).replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(context.server.clockSkewMs).toBe(600_000);
  });

  it('rejects events older than the dedupe window into the failed store', async () => {
    const { collector, path } = setup();
    const old = makeEnvelope({ timestamp: new Date(Date.now() - 8 * 86_400_000).toISOString() });
    const { results } = await (await collector.fetch(batchRequest(batch([old])))).json();
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/more than 7 days ago/) });
    await collector.close();
    const { events, failed } = await readStore(path);
    expect(events).toEqual([]);
    expect(failed.map((f) => f.id)).toEqual([old.id]);
  });

  it('gives one visitor the same hash within a UTC day and a new one the next day', async () => {
    let clock = Date.parse('2026-03-01T08:00:00.000Z');
    const { collector, path } = setup({ now: () => clock });
    const send = async () => {
      const e = makeEnvelope({ timestamp: new Date(clock).toISOString() });
      await collector.fetch(batchRequest(batch([e], new Date(clock).toISOString())), { clientIp: '198.51.100.7' });
      return e.id;
    };
    const morning = await send();
    clock += 10 * 3_600_000;
    const evening = await send();
    clock += 10 * 3_600_000;
    const nextDay = await send();
    await collector.close();
    const { events } = await readStore(path);
    const visitor = (id: string) => JSON.parse(events.find((e) => e.id === id)!.context as string).server.visitorId;
    expect(visitor(morning)).toMatch(/^[0-9a-f]{32}$/);
    expect(visitor(evening)).toBe(visitor(morning));
    expect(visitor(nextDay)).not.toBe(visitor(morning));
  });
});

describe('createDailySalts', () => {
  it('makes 32 random bytes per UTC day and deletes salts once 48 hours old', () => {
    const salts = createDailySalts();
    const day1 = salts.current(Date.parse('2026-03-01T00:00:00Z'));
    expect(day1).toHaveLength(32);
    expect(salts.current(Date.parse('2026-03-01T23:59:59Z'))).toBe(day1);
    const day2 = salts.current(Date.parse('2026-03-02T00:00:00Z'));
    expect(day2.equals(day1)).toBe(false);
    expect(salts.days()).toEqual(['2026-03-01', '2026-03-02']);
    salts.current(Date.parse('2026-03-03T00:00:00Z'));
    expect(salts.days()).toEqual(['2026-03-02', '2026-03-03']);
    expect(day1.every((b) => b === 0)).toBe(true);
  });
});

describe('stripQuery and referrerHost', () => {
  it('strip what is not allowlisted', () => {
    expect(stripQuery('/a?b=1&utm_medium=x&ref=y#h', [])).toBe('/a?utm_medium=x&ref=y');
    expect(stripQuery('https://x.example/?session=abc', [])).toBe('https://x.example/');
    expect(referrerHost('https://www.google.com/search?q=lisbon')).toBe('www.google.com');
    expect(referrerHost('news.example:8080/path')).toBe('news.example');
    expect(referrerHost('<img src=x onerror=alert(1)>')).toBeUndefined();
  });
});

describe('enrichEvent within one request', () => {
  const ua = classifyUserAgent(IPHONE_UA);
  const settings = { userIdKey: Buffer.from(USER_ID_KEY, 'hex'), keepQueryKeys: [] };
  const facts = (cache = createRequestCache()) => ({
    siteId: 'blog',
    ip: '198.51.100.7',
    userAgent: IPHONE_UA,
    gpc: false,
    receivedAt: Date.parse('2026-03-01T10:00:05Z'),
    sentAt: Date.parse('2026-03-01T10:00:04Z'),
    salt: Buffer.alloc(32, 7),
    cache,
  });
  const envelope = (page: string, id: string) => {
    const base = makeEnvelope({ id, timestamp: '2026-03-01T10:00:00.000Z', userId: 'user-1' });
    return { ...base, context: { ...base.context, page: { ...base.context.page, path: page } } };
  };

  it('gives events with equal contexts one context object, and enriches as without the cache', () => {
    const requestFacts = facts();
    const events = [envelope('/lisbon', 'e-1'), envelope('/lisbon', 'e-2'), envelope('/porto', 'e-3')].map((e) => enrichEvent(e, requestFacts, settings, ua));
    expect(events[1].context).toBe(events[0].context);
    expect(events[2].context).not.toBe(events[0].context);
    expect(events[2].context.page.path).toBe('/porto');
    const alone = [envelope('/lisbon', 'e-1'), envelope('/lisbon', 'e-2'), envelope('/porto', 'e-3')].map((e) => enrichEvent(e, { ...facts(), cache: undefined }, settings, ua));
    expect(events).toEqual(alone);
  });
});
