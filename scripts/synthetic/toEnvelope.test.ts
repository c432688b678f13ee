import { describe, expect, it } from 'vitest';
import { sessionSampling } from '../../packages/core/src/sessionSampling';
import { generateReadership } from './generateReadership';
import type { Visit } from './generateReadership';
import { toEnvelope } from './toEnvelope';

const options = { seed: 11, start: '2026-03-01T00:00:00.000Z', days: 30, visitors: 1500 };
const visits: Visit[] = [...generateReadership(options)];

describe('toEnvelope', { timeout: 30_000 }, () => {
  it('sends nothing for visitors who declined consent', () => {
    const declined = visits.filter((visit) => visit.visitor.consent === 'declined');
    expect(declined.length).toBeGreaterThan(50);
    expect(declined.flatMap((visit) => visit.actions.map((_, i) => toEnvelope(visit, i))).filter(Boolean)).toEqual([]);
  });

  it('stamps the consent snapshot, the tracker library and a sample rate of 1 on unsampled events', () => {
    const visit = visits.find((v) => v.visitor.consent === 'analytics_only' && v.actions.length > 3)!;
    const envelope = toEnvelope(visit, 0)!;
    expect(envelope).toMatchObject({
      type: 'page',
      name: 'page_viewed',
      schema: 'travel@1',
      anonymousId: visit.anonymousId,
      sessionId: visit.sessionId,
      context: {
        consent: { analytics: true, storage: false, marketing: false },
        sampleRate: 1,
        library: { name: '@waymark/core', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
        screen: visit.visitor.screen,
        locale: visit.visitor.locale,
        page: { url: visit.pages[0].url, path: visit.pages[0].path, route: visit.pages[0].route },
      },
    });
    const granted = visits.find((v) => v.visitor.consent === 'granted' && v.visitor.consentSnapshot.marketing)!;
    expect(toEnvelope(granted, 0)!.context.consent).toEqual({ analytics: true, storage: true, marketing: true, gpc: false });
  });

  it('leaves out the scroll milestones of sessions sampling drops and stamps 0.5 on the rest', () => {
    const sampler = sessionSampling({ events: { scroll_depth_reached: 0.5 } });
    let all = 0;
    let sent = 0;
    const keptSessions = new Set<string>();
    const droppedSessions = new Set<string>();
    for (const visit of visits) {
      if (visit.visitor.consent === 'declined') continue;
      visit.actions.forEach((action, i) => {
        if (action.name !== 'scroll_depth_reached') return;
        all++;
        const envelope = toEnvelope(visit, i);
        const rate = sampler({ name: action.name, sessionId: visit.sessionId } as never);
        expect(envelope?.context.sampleRate).toBe(rate === 0 ? undefined : 0.5);
        if (envelope) {
          sent++;
          keptSessions.add(visit.sessionId);
        } else droppedSessions.add(visit.sessionId);
      });
    }
    expect(all).toBeGreaterThan(5000);
    // Whole sessions are kept or dropped, about half each; weighting by 1 / 0.5 recovers the count.
    expect([...keptSessions].some((id) => droppedSessions.has(id))).toBe(false);
    expect((sent * 2) / all).toBeGreaterThan(0.85);
    expect((sent * 2) / all).toBeLessThan(1.15);
  });

  it('gives every action an id that is the same on every run and unique in the readership', () => {
    const ids = visits.flatMap((visit) => visit.actions.map((_, i) => toEnvelope(visit, i)?.id)).filter((id): id is string => id !== undefined);
    expect(ids.length).toBeGreaterThan(30_000);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 1000)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [first] = generateReadership({ ...options, visitors: 100 });
    const same = visits.find((visit) => visit.visitor.index === first.visitor.index && visit.number === first.number)!;
    expect(first.actions.map((_, i) => toEnvelope(first, i)?.id)).toEqual(same.actions.map((_, i) => toEnvelope(same, i)?.id));
  });

  it('stamps the device clock, carries the landing campaign through the visit and sends traits with identify', () => {
    const skewed = visits.find((visit) => visit.visitor.clockOffsetMs !== 0 && visit.visitor.consent !== 'declined')!;
    expect(Date.parse(toEnvelope(skewed, 0)!.timestamp)).toBe(skewed.actions[0].at + skewed.visitor.clockOffsetMs);
    const tagged = visits.find((visit) => visit.campaign && visit.pages.length > 1 && visit.visitor.consent !== 'declined')!;
    const envelopes = tagged.actions.map((_, i) => toEnvelope(tagged, i)).filter((e) => e !== undefined);
    expect(envelopes.every((e) => e.context.campaign === tagged.campaign)).toBe(true);
    expect(envelopes[0].context.page.url).toContain(`utm_campaign=${tagged.campaign!.name}`);
    expect(envelopes.at(-1)!.context.page.url).not.toContain('utm_');
    const identify = visits
      .filter((visit) => visit.visitor.consent !== 'declined')
      .flatMap((visit) => visit.actions.map((action, i) => (action.type === 'identify' ? toEnvelope(visit, i) : undefined)))
      .find(Boolean)!;
    expect(identify).toMatchObject({ type: 'identify', name: 'user_identified', properties: {}, userId: expect.any(String) });
    expect(identify.traits).toMatchObject({ ageBand: expect.any(String), homeCountry: expect.any(String), tripStyles: expect.any(Array) });
  });
});
