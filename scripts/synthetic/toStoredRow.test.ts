import { randomBytes } from 'node:crypto';
import { toEventRow } from '@waymark/sinks';
import { describe, expect, it } from 'vitest';
import { classifyUserAgent, enrichEvent } from '../../packages/collector/src/enrichEvent';
import { botUserAgents, humanUserAgents } from './createVisitor';
import { generateReadership } from './generateReadership';
import { deliveryOf, toEnvelope } from './toEnvelope';
import { storedRows, syntheticVisitorId } from './toStoredRow';

const options = { seed: 7, start: '2026-03-01T00:00:00.000Z', days: 30, visitors: 250 };
const siteId = 'blog';

describe('storedRows', () => {
  it('equals toEventRow() of the event the collector enriches from the same envelope', () => {
    const salt = randomBytes(16);
    const userIdKey = randomBytes(32);
    let compared = 0;
    let identified = 0;
    let skewed = 0;
    let late = 0;
    for (const visit of generateReadership(options)) {
      const rows = storedRows(visit, { seed: options.seed, siteId });
      visit.actions.forEach((_, i) => {
        const envelope = toEnvelope(visit, i);
        expect(rows[i] === undefined).toBe(envelope === undefined);
        if (!envelope) return;
        const delivery = deliveryOf(visit, i);
        const { userAgent } = visit.visitor;
        const event = enrichEvent(
          envelope,
          { siteId, ip: '198.51.100.7', userAgent: userAgent.userAgent, gpc: visit.visitor.gpc, country: visit.country, receivedAt: delivery.receivedAt, sentAt: delivery.sentAt, salt },
          { userIdKey, keepQueryKeys: [] },
          classifyUserAgent(userAgent.userAgent),
        );
        // The two documented differences: the user id is stored as sent, and the visitor hash needs no IP.
        if (envelope.userId !== undefined) event.userId = envelope.userId;
        event.context.server.visitorId = syntheticVisitorId(options.seed, visit.visitor.index, Math.floor(delivery.receivedAt / 86_400_000));
        expect(rows[i]).toEqual(toEventRow(event));
        compared++;
        if (envelope.userId) identified++;
        if (visit.visitor.clockOffsetMs !== 0) skewed++;
        if (delivery.receivedAt - Date.parse(envelope.timestamp) > 3_600_000) late++;
      });
    }
    expect(compared).toBeGreaterThan(5000);
    expect(identified).toBeGreaterThan(100);
    expect(skewed).toBeGreaterThan(20);
    expect(late).toBeGreaterThan(20);
  }, 60_000);

  it('lists User-Agents with the classes the collector derives from them', () => {
    const listed = [...Object.values(humanUserAgents).flat(), ...botUserAgents].map(([info]) => info);
    for (const { userAgent, device, browser, os, bot } of listed) {
      expect({ userAgent, ...classifyUserAgent(userAgent) }).toEqual({ userAgent, device, browser, os, bot });
    }
    expect(listed.filter((info) => info.bot)).toHaveLength(botUserAgents.length);
  });

  it('gives a visitor one visitor id per UTC day', () => {
    const day = 20_513;
    expect(syntheticVisitorId(1, 5, day)).toMatch(/^[0-9a-f]{32}$/);
    expect(syntheticVisitorId(1, 5, day)).toBe(syntheticVisitorId(1, 5, day));
    expect(syntheticVisitorId(1, 5, day + 1)).not.toBe(syntheticVisitorId(1, 5, day));
    expect(syntheticVisitorId(1, 6, day)).not.toBe(syntheticVisitorId(1, 5, day));
  });
});
